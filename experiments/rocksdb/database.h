// The RocksDB database the experiment serves: N keys ("k0000000042") with
// fixed-size values, in a directory on tmpfs, flushed and compacted into
// SST files and then read once end to end so that every block is in the
// block cache (a warmed server, no I/O on the request path).
//
//   absl::StatusOr<std::unique_ptr<Database>> db =
//       Database::OpenOrFill("/tmp/rocksdb", 100000, 100);
//   (*db)->Warm();
//   bool found = (*db)->Get(42);
//   int seen = (*db)->Range(42, 100);   // 100 keys from k...42 on
#ifndef GHOST_EXPERIMENTS_ROCKSDB_DATABASE_H_
#define GHOST_EXPERIMENTS_ROCKSDB_DATABASE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace rocksdb {
class DB;
class Cache;
}  // namespace rocksdb

namespace ghost::rocksdb_exp {

class Database {
 public:
  // Opens the database at `path`; fills it with `keys` keys first unless it
  // already holds exactly that many (a marker key records the count).
  static absl::StatusOr<std::unique_ptr<Database>> OpenOrFill(
      const std::string& path, int64_t keys, int value_size);
  ~Database();

  // Reads every key once (an iterator scan); returns how many it saw.
  absl::StatusOr<int64_t> Warm();

  // One point lookup; true if the key exists with a value of the right size.
  bool Get(uint32_t key);
  // Iterates `len` keys from `start`; returns how many it read.
  int Range(uint32_t start, int len);

  int64_t keys() const { return keys_; }

 private:
  Database(rocksdb::DB* db, std::shared_ptr<rocksdb::Cache> cache, int64_t keys,
           int value_size);

  rocksdb::DB* db_;
  std::shared_ptr<rocksdb::Cache> cache_;
  int64_t keys_;
  int value_size_;
};

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_DATABASE_H_
