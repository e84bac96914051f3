package org.stemstream.hdf5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparseCountsWriterTest {
    @TempDir
    Path dir;

    /** Events of frame i: a deterministic, ascending, sometimes empty list. */
    private static int[] eventsOf(int frame) {
        SplittableRandom random = new SplittableRandom(frame);
        int n = frame % 7 == 3 ? 0 : random.nextInt(1, 60);
        return random.ints(n, 0, 576 * 576).sorted().distinct().toArray();
    }

    @Test
    void h5pyReadsTheLayoutAttributesAndEventsWrittenOutOfOrder() throws Exception {
        ScanShape shape = new ScanShape(5, 3, 2, 576, 576);
        Path file = dir.resolve("scan.h5");
        try (SparseCountsWriter writer = SparseCountsWriter.create(file, shape)) {
            for (int i = shape.frames() - 1; i >= 0; i--) {
                int[] events = eventsOf(i);
                writer.writeFrame(i, events, events.length);
            }
            writer.metadata("electron_counting", Map.of("background_threshold", 28.5, "frames_counted", 30L,
                    "dark", "none", "gain", "none", "threshold_calculated", true, "ended", "",
                    "software", "stemstream µ ✓"));
            writer.metadata("other", Map.of("threshold_calculated", false, "gain", "none", "note", "x".repeat(5000)));
            writer.dataset("frame_status", "incomplete", new long[] {4, 9});
            writer.dataset("frame_status", "missing", new long[0]);
            writer.commit();
        }
        String script = """
                import sys, h5py, numpy as np
                f = h5py.File(sys.argv[1], 'r')
                ev = f['electron_events']
                frames = ev['frames']
                assert f.attrs['version'] == 3
                assert frames.dtype.metadata['vlen'] == np.uint32, frames.dtype
                print(frames.attrs['Nx'], frames.attrs['Ny'], ev['scan_positions'].attrs['Nx'],
                      ev['scan_positions'].attrs['Ny'], list(ev['scan_positions'][()]) == list(range(15)))
                for row in frames[()]:
                    print(' '.join(str(v) for v in row))
                m = f['metadata/electron_counting'].attrs
                print(m['background_threshold'], m['frames_counted'], m['dark'])
                print(list(f['frame_status/incomplete'][()]), len(f['frame_status/missing'][()]))
                o = f['metadata/other'].attrs
                for a in (m, o):
                    strings = {k: v for k, v in a.items() if k not in ('background_threshold', 'frames_counted',
                                                                      'threshold_calculated')}
                    assert all(type(v) is str for v in strings.values()), {k: type(v) for k, v in a.items()}
                    for k in strings:
                        t = a.get_id(k).get_type()
                        assert t.is_variable_str() and t.get_cset() == h5py.h5t.CSET_UTF8, k
                    flag = a.get_id('threshold_calculated')
                    assert flag.dtype == np.bool_ and flag.get_type().get_class() == h5py.h5t.ENUM, flag.dtype
                print(ascii(m['software']), repr(m['ended']), m['gain'], o['gain'], o['note'] == 'x' * 5000)
                print(type(m['threshold_calculated']).__name__, m['threshold_calculated'], o['threshold_calculated'])
                """;
        String[] lines = H5py.run(script, file).split("\n", -1);
        assertEquals("576 576 5 3 True", lines[0]);
        for (int i = 0; i < shape.frames(); i++) {
            String expected = IntStream.of(eventsOf(i)).mapToObj(String::valueOf).collect(Collectors.joining(" "));
            assertEquals(expected, lines[1 + i].strip(), "frame " + i);
        }
        assertEquals("28.5 30 none", lines[1 + shape.frames()]);
        assertEquals("[4, 9] 0", lines[2 + shape.frames()]);
        assertEquals("'stemstream \\xb5 \\u2713' '' none none True", lines[3 + shape.frames()]);
        assertEquals("bool_ True False", lines[4 + shape.frames()]);
    }

    @Test
    void manyFramesSpanSeveralHeapCollectionsIncludingOversizedFrames() throws Exception {
        ScanShape shape = new ScanShape(300, 300, 1, 576, 576);
        Path file = dir.resolve("big.h5");
        int[] huge = IntStream.range(0, 300_000).map(i -> i * 2).toArray();
        long expectedSum = 0;
        try (SparseCountsWriter writer = SparseCountsWriter.create(file, shape)) {
            for (int i = 0; i < shape.frames(); i++) {
                int[] events = i == 777 ? huge : new int[] {i, i + 1, i + 5};
                writer.writeFrame(i, events, events.length);
                expectedSum += IntStream.of(events).asLongStream().sum();
            }
            writer.commit();
        }
        String out = H5py.run("""
                import sys, h5py, numpy as np
                frames = h5py.File(sys.argv[1], 'r')['electron_events/frames'][()]
                print(len(frames), sum(int(f.astype(np.int64).sum()) for f in frames), len(frames[777]))
                """, file);
        assertEquals(shape.frames() + " " + expectedSum + " 300000", out);
    }

    @Test
    void closingWithoutCommitLeavesNoFileBehind() throws IOException {
        Path file = dir.resolve("never.h5");
        try (SparseCountsWriter writer = SparseCountsWriter.create(file, new ScanShape(2, 2, 1, 576, 576))) {
            writer.writeFrame(0, new int[] {1, 2}, 2);
        }
        assertFalse(Files.exists(file));
        try (var listing = Files.list(dir)) {
            assertTrue(listing.findAny().isEmpty(), "temporary file left behind");
        }
    }

    @Test
    void aReplacedFrameReadsBackAsItsNewEventsWhetherItsCollectionIsWrittenOrNot() throws Exception {
        ScanShape shape = new ScanShape(300, 300, 1, 576, 576);
        Path file = dir.resolve("replaced.h5");
        try (SparseCountsWriter writer = SparseCountsWriter.create(file, shape)) {
            for (int i = 0; i < shape.frames(); i++) {
                writer.writeFrame(i, new int[] {i, i + 1}, 2);
            }
            assertArrayEquals(new int[] {3, 4}, writer.events(3), "a frame in a collection already written");
            assertArrayEquals(new int[] {89_999, 90_000}, writer.events(89_999), "a frame still in memory");
            writer.replaceFrame(3, new int[] {7}, 1);
            writer.replaceFrame(89_999, new int[0], 0);
            assertArrayEquals(new int[] {7}, writer.events(3));
            writer.commit();
        }
        assertEquals("[7] [] [5 6]", H5py.run("""
                import sys, h5py
                frames = h5py.File(sys.argv[1], 'r')['electron_events/frames'][()]
                print(frames[3], frames[89999], frames[5])
                """, file));
    }

    @Test
    void anExistingFileIsNeverOverwritten() throws Exception {
        Path file = dir.resolve("taken.h5");
        Files.writeString(file, "someone's data");
        assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> SparseCountsWriter.create(file, new ScanShape(2, 2, 1, 576, 576)));
        Path late = dir.resolve("late.h5");
        Path committed;
        try (SparseCountsWriter writer = SparseCountsWriter.create(late, new ScanShape(2, 2, 1, 576, 576))) {
            writer.writeFrame(0, new int[] {1, 2}, 2);
            Files.writeString(late, "appeared while counting");
            committed = writer.commit();
        }
        assertEquals(dir.resolve("late.1.h5"), committed);
        assertEquals("appeared while counting", Files.readString(late));
        assertEquals("[1 2]", H5py.run("""
                import sys, h5py
                print(h5py.File(sys.argv[1], 'r')['electron_events/frames'][0])
                """, committed));
        assertEquals("someone's data", Files.readString(file));
    }
}
