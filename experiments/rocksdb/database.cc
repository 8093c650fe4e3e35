#include "experiments/rocksdb/database.h"

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace ghost::rocksdb_exp {
namespace {

constexpr char kCountKey[] = "~key_count";

// Fixed width, so keys sort in numeric order and a Range is contiguous.
struct KeyText {
  char buf[16];
  int len;
  explicit KeyText(uint32_t key)
      : len(std::snprintf(buf, sizeof(buf), "k%010u", key)) {}
  rocksdb::Slice slice() const { return rocksdb::Slice(buf, len); }
};

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("rocksdb: ", what, ": ", s.ToString()));
}

absl::Status Fill(rocksdb::DB* db, int64_t keys, int value_size) {
  rocksdb::WriteOptions w;
  w.disableWAL = true;  // the fill is redone if the VM dies anyway
  const std::string value(value_size, 'v');
  rocksdb::WriteBatch batch;
  for (int64_t k = 0; k < keys; ++k) {
    batch.Put(KeyText(static_cast<uint32_t>(k)).slice(), value);
    if (batch.Count() == 1000 || k + 1 == keys) {
      absl::Status s = FromRocks(db->Write(w, &batch), "fill");
      if (!s.ok()) return s;
      batch.Clear();
    }
  }
  absl::Status s = FromRocks(db->Flush(rocksdb::FlushOptions()), "flush");
  if (!s.ok()) return s;
  s = FromRocks(
      db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr),
      "compact");
  if (!s.ok()) return s;
  return FromRocks(db->Put(w, kCountKey, absl::StrCat(keys)), "count key");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::OpenOrFill(
    const std::string& path, int64_t keys, int value_size) {
  if (keys <= 0 || keys > 0xffffffffLL || value_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("keys must be 1..2^32-1 and value_size > 0 (got ", keys,
                     ", ", value_size, ")"));
  }
  // A cache big enough for the whole data set: a warmed server.
  auto cache = rocksdb::NewLRUCache(
      static_cast<size_t>(keys) * (value_size + 64) * 2 + (8 << 20));
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kNoCompression;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* db = nullptr;
  absl::Status s = FromRocks(rocksdb::DB::Open(options, path, &db),
                             absl::StrCat("open ", path));
  if (!s.ok()) return s;
  std::unique_ptr<Database> out(new Database(db, cache, keys, value_size));
  std::string count;
  int64_t have = -1;
  if (db->Get(rocksdb::ReadOptions(), kCountKey, &count).ok() &&
      absl::SimpleAtoi(count, &have) && have == keys) {
    return out;
  }
  s = Fill(db, keys, value_size);
  if (!s.ok()) return s;
  return out;
}

Database::Database(rocksdb::DB* db, std::shared_ptr<rocksdb::Cache> cache,
                   int64_t keys, int value_size)
    : db_(db), cache_(std::move(cache)), keys_(keys), value_size_(value_size) {}

Database::~Database() {
  db_->Close();
  delete db_;
}

absl::StatusOr<int64_t> Database::Warm() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  int64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  absl::Status s = FromRocks(it->status(), "warm scan");
  if (!s.ok()) return s;
  return n;
}

bool Database::Get(uint32_t key) {
  rocksdb::PinnableSlice value;
  const rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(),
               KeyText(key).slice(), &value);
  return s.ok() && static_cast<int>(value.size()) == value_size_;
}

int Database::Range(uint32_t start, int len) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  int n = 0;
  for (it->Seek(KeyText(start).slice()); it->Valid() && n < len; it->Next()) {
    n += it->value().size() == static_cast<size_t>(value_size_);
  }
  return n;
}

}  // namespace ghost::rocksdb_exp
