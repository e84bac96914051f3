package org.stemstream.node.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stemstream.hdf5.H5py;
import org.stemstream.node.counting.FrameListener;

/** The scan file keeps the same frames whatever order they arrive in, extra frames included. */
class ScanFileTest {
    @TempDir
    Path dir;

    /** A counted frame: its number, position and one event that tells it apart. */
    private record Counted(long frameNumber, int position) {
        int[] events() {
            return new int[] {(int) frameNumber * 10, (int) frameNumber * 10 + 1};
        }
    }

    /**
     * A 3 x 2 scan declared with {@code framesPerPosition}, fed twice as many frames per position (frame f at
     * position (f - 1) / (2F), as a detector set to 2F frames per position numbers them), in a shuffled order.
     */
    private String store(int framesPerPosition, long seed) throws Exception {
        List<Counted> frames = new ArrayList<>();
        for (long f = 1; f <= 6L * 2 * framesPerPosition; f++) {
            frames.add(new Counted(f, (int) ((f - 1) / (2 * framesPerPosition))));
        }
        Collections.shuffle(frames, new Random(seed));
        Path out = dir.resolve("order" + seed + ".h5");
        ScanFile file = new ScanFile(out, 3, 2, framesPerPosition, FrameListener.NONE);
        for (Counted c : frames) {
            file.record(c.frameNumber(), c.position(), c.frameNumber() % 5 != 0, c.events(), 0, 2);
        }
        ScanFile.Written written = file.commit(Map.of());
        assertEquals(6L * framesPerPosition, written.extraFrames());
        assertEquals(6L * framesPerPosition, written.frames());
        assertEquals(2L * 6 * framesPerPosition, written.events(), "two events per kept frame");
        return H5py.run("""
                import sys, h5py
                f = h5py.File(sys.argv[1], 'r')
                print([list(e) for e in f['electron_events/frames'][()]], list(f['frame_status/incomplete'][()]),
                      f['metadata/electron_counting'].attrs['frames_extra'])
                """, out);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void eachPositionKeepsItsLowestNumberedFramesWhateverTheOrder(int framesPerPosition) throws Exception {
        String first = store(framesPerPosition, 1);
        for (long seed = 2; seed <= 6; seed++) {
            assertEquals(first, store(framesPerPosition, seed), "arrival order " + seed);
        }
        // position p holds frames 2Fp+1 .. 2Fp+F: with F = 1, frames 1, 3, 5, 7, 9, 11 (frame 5 incomplete)
        if (framesPerPosition == 1) {
            assertEquals("[[10, 11], [30, 31], [50, 51], [70, 71], [90, 91], [110, 111]] [2] 6", first);
        }
    }
}
