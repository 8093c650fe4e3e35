import unittest

from lab import qemu
from lab.progress import LabError


class NumaArgsTest(unittest.TestCase):

    def test_one_node_adds_nothing(self):
        self.assertEqual(qemu.numa_args(1, 4, "2G"), [])

    def test_two_nodes_split_cpus_and_memory_in_blocks(self):
        args = qemu.numa_args(2, 6, "2G")
        self.assertEqual(args, [
            "-object", "memory-backend-ram,id=mem0,size=1024M",
            "-numa", "node,nodeid=0,cpus=0-2,memdev=mem0",
            "-object", "memory-backend-ram,id=mem1,size=1024M",
            "-numa", "node,nodeid=1,cpus=3-5,memdev=mem1",
            "-numa", f"dist,src=0,dst=1,val={qemu.NUMA_REMOTE_DISTANCE}"])

    def test_memory_in_mebibytes(self):
        self.assertIn("memory-backend-ram,id=mem1,size=256M",
                      qemu.numa_args(2, 2, "512M"))

    def test_an_uneven_split_is_refused_with_the_reason(self):
        with self.assertRaisesRegex(LabError, "equal parts"):
            qemu.numa_args(2, 5, "2G")
        with self.assertRaisesRegex(LabError, "512M or 2G"):
            qemu.numa_args(2, 4, "2 gigs")

    def test_the_command_carries_them(self):
        cmd = qemu.qemu_command("bzImage", "initrd", "share", smp=4,
                                memory="2G", numa=2)
        self.assertIn("node,nodeid=1,cpus=2-3,memdev=mem1", cmd)

    def test_each_node_is_a_socket_of_its_own(self):
        # One socket across two nodes makes the kernel warn at boot.
        cmd = qemu.qemu_command("bzImage", "initrd", "share", smp=6,
                                memory="2G", numa=2)
        self.assertEqual(cmd[cmd.index("-smp") + 1],
                         "6,sockets=2,cores=3,threads=1")
        one = qemu.qemu_command("bzImage", "initrd", "share", smp=4,
                                memory="2G")
        self.assertEqual(one[one.index("-smp") + 1], "4")


if __name__ == "__main__":
    unittest.main()
