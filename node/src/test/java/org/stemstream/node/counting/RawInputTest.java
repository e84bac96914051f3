package org.stemstream.node.counting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.hdf5.H5py;
import org.stemstream.node.CliRun;
import org.stemstream.node.Fixtures;
import org.stemstream.node.cli.Main;
import org.stemstream.protocol.FrameGeometry;

/** How {@code count} takes raw files as they come: spread, shuffled, with sectors lost, or broken. */
class RawInputTest {
    private static final int BLOCK = FrameGeometry.BLOCK_BYTES;

    @TempDir
    Path dir;

    /** All blocks of one module of the fixture, from all its files. */
    private static List<byte[]> blocksOfModule(int module) throws IOException {
        List<byte[]> blocks = new ArrayList<>();
        for (Path f : Fixtures.tinyScan(1)) {
            if (f.getFileName().toString().contains("_module" + module + "_")) {
                byte[] all = Files.readAllBytes(f);
                for (int at = 0; at < all.length; at += BLOCK) {
                    blocks.add(Arrays.copyOfRange(all, at, at + BLOCK));
                }
            }
        }
        return blocks;
    }

    private static void write(Path file, List<byte[]> blocks) throws IOException {
        try (var out = Files.newOutputStream(file)) {
            for (byte[] b : blocks) {
                out.write(b);
            }
        }
    }

    private static String[] countArgs(Path output, List<Path> files) {
        List<String> args = new ArrayList<>(List.of("count", "-o", output.toString(),
                "--background-threshold=28", "--xray-threshold=1000"));
        files.forEach(f -> args.add(f.toString()));
        return args.toArray(String[]::new);
    }

    @Test
    void shuffledBlocksOverThreeFilesPerModuleCountTheSameAsTheOriginal() throws Exception {
        Random random = new Random(11);
        List<Path> files = new ArrayList<>();
        for (int m = 0; m < 4; m++) {
            List<byte[]> blocks = blocksOfModule(m);
            Collections.shuffle(blocks, random);
            for (int k = 0; k < 3; k++) {
                Path f = dir.resolve("data_scan0000000001_module" + m + "_00" + k + ".data");
                write(f, blocks.subList(k * blocks.size() / 3, (k + 1) * blocks.size() / 3));
                files.add(f);
            }
        }
        Collections.shuffle(files, random);
        Path output = dir.resolve("shuffled.h5");
        assertEquals(0, Main.run(countArgs(output, files)));
        assertEquals(Fixtures.referenceEvents("events-fixed.txt"), Fixtures.countedEvents(output));
    }

    @Test
    void aLostSectorLeavesItsFrameCountedIncompleteAndNamedInTheFile() throws Exception {
        List<Path> files = new ArrayList<>();
        for (int m = 0; m < 4; m++) {
            List<byte[]> blocks = blocksOfModule(m);
            if (m == 2) {
                blocks.removeIf(b -> (b[4] & 0xFF) == 5); // frame number 5 (position 4) loses sector 2
            }
            Path f = dir.resolve("data_scan0000000001_module" + m + "_000.data");
            write(f, blocks);
            files.add(f);
        }
        Path output = dir.resolve("incomplete.h5");
        assertEquals(0, Main.run(countArgs(output, files)));
        String status = H5py.run("""
                import sys, h5py
                f = h5py.File(sys.argv[1], 'r')
                m = f['metadata/electron_counting'].attrs
                print(m['frames_counted'], m['frames_incomplete'], m['frames_missing'],
                      list(f['frame_status/incomplete'][()]))
                """, output);
        assertEquals("16 1 0 [4]", status);
        List<String> reference = Fixtures.referenceEvents("events-fixed.txt");
        List<String> counted = Fixtures.countedEvents(output);
        for (int slot = 0; slot < 16; slot++) {
            if (slot != 4) {
                assertEquals(reference.get(slot), counted.get(slot), "frame slot " + slot);
            }
        }
        String[] frame4 = counted.get(4).split(" ");
        for (int i = 1; i < frame4.length; i++) {
            int index = Integer.parseInt(frame4[i]);
            assertFalse(index >= 2 * 144 * 576 && index < 3 * 144 * 576, "event " + index + " in the zero-filled sector");
        }
    }

    private static String errorOf(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(2, run.exitCode(), "exit code for bad input; stderr: " + run.err());
        return run.err();
    }

    @Test
    void badFlagsAndReferenceFilesSayWhatIsWrong() throws Exception {
        String scan = Fixtures.tinyScan(1).get(0).toString();
        Path shortDark = Files.write(dir.resolve("dark.f32"), new byte[100]);
        Path output = dir.resolve("never.h5");
        assertTrue(errorOf("count", "-o", output.toString(), "--background-threshold=28", scan)
                .contains("give both --background-threshold and --xray-threshold"));
        assertTrue(errorOf("count", "-o", output.toString(), "--dark=" + shortDark, scan)
                .contains(shortDark + ": 100 bytes, expected 1327104"));
        assertTrue(errorOf("count", "-o", output.toString(), "--background-threshold=50", "--xray-threshold=10", scan)
                .contains("must be below the x-ray threshold"));
        assertTrue(errorOf("count", "-o", output.toString(), scan).contains("no raw file for module 1"));
        assertTrue(errorOf("count", "-o", output.toString(), dir.resolve("data_scan1_module0_0.data").toString())
                .contains("data_scan1_module0_0.data: no such file or directory"));
        assertTrue(errorOf("count", "--threads=0", scan).contains("'--threads': 0 (valid: at least 1)"));
        assertFalse(Files.exists(output));
    }

    @Test
    void aDarkScanAveragesIntoTheDarkReference() throws Exception {
        List<String> args = new ArrayList<>(List.of("count", "-o", dir.resolve("dark-scan.h5").toString(),
                "--background-threshold=8", "--xray-threshold=1000"));
        Fixtures.tinyScan(1).forEach(f -> args.add(f.toString()));
        args.add("--dark-scan");
        Fixtures.tinyScan(2).forEach(f -> args.add(f.toString()));
        assertEquals(0, Main.run(args.toArray(String[]::new)));
        List<String> counted = Fixtures.countedEvents(dir.resolve("dark-scan.h5"));
        // The fixture's dark reference is the mean of its dark scan: the same events as counting with it.
        assertEquals(Fixtures.referenceEvents("events-dark-uint16-fixed.txt"), counted);
    }
}
