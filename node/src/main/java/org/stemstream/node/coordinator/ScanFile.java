package org.stemstream.node.coordinator;

import static org.stemstream.protocol.FrameGeometry.FRAME_HEIGHT;
import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.LongArrayList;
import org.agrona.collections.LongHashSet;
import org.stemstream.hdf5.ScanShape;
import org.stemstream.hdf5.SparseCountsWriter;
import org.stemstream.node.counting.FrameListener;
import org.stemstream.node.counting.ScanImages;

/**
 * A scan's counted file while frames arrive from any node: puts each frame in its slot (position-major, the frames
 * of a position by frame number, as offline counting does), remembers which were incomplete, and at the end writes
 * the metadata, the frame status lists and two pictures beside the file (the scan and its mean diffraction pattern).
 */
public final class ScanFile {
    private final Path output;
    private final int framesPerPosition;
    private final int frames;
    private final SparseCountsWriter writer;
    private final ScanImages images;
    private final FrameListener listener;
    private final BitSet written;
    private final LongArrayList incomplete = new LongArrayList();
    private final Int2ObjectHashMap<List<Pending>> pending = new Int2ObjectHashMap<>();
    private long events;
    private long extraFrames;
    private final LongHashSet stored = new LongHashSet();

    private record Pending(long frameNumber, boolean complete, int[] events) {
    }

    /** What the file holds once committed. */
    public record Written(long frames, long incomplete, long missing, long events, long extraFrames) {
    }

    public ScanFile(Path output, int scanWidth, int scanHeight, int framesPerPosition, FrameListener listener)
            throws IOException {
        if (Files.exists(output)) {
            throw new IOException("the output " + output + " already exists; counted data is never overwritten");
        }
        this.output = output;
        this.framesPerPosition = framesPerPosition;
        this.frames = scanWidth * scanHeight * framesPerPosition;
        this.writer = SparseCountsWriter.create(output, new ScanShape(scanWidth, scanHeight, framesPerPosition,
                FRAME_WIDTH, FRAME_HEIGHT));
        this.images = new ScanImages(scanWidth, scanHeight, framesPerPosition);
        this.listener = listener == null ? FrameListener.NONE : listener;
        this.written = new BitSet(frames);
    }

    /**
     * Stores a counted frame; false when its position already has all its frames (an extra frame) or when this
     * frame number was stored before (delivered again: the first copy wins).
     */
    public synchronized boolean record(long frameNumber, int position, boolean complete, int[] frameEvents, int offset,
                                       int n) throws IOException {
        if (!stored.add(frameNumber)) {
            return false;
        }
        if (position < 0 || position * framesPerPosition >= frames) {
            extraFrames++;
            return false;
        }
        if (framesPerPosition == 1) {
            if (written.get(position)) {
                extraFrames++;
                return false;
            }
            write(position, frameNumber, complete, Arrays.copyOfRange(frameEvents, offset, offset + n));
            return true;
        }
        if (written.get(position * framesPerPosition)) {
            extraFrames++;
            return false;
        }
        List<Pending> atPosition = pending.computeIfAbsent(position, p -> new ArrayList<>(framesPerPosition));
        atPosition.add(new Pending(frameNumber, complete, Arrays.copyOfRange(frameEvents, offset, offset + n)));
        if (atPosition.size() == framesPerPosition) {
            flush(position, pending.remove(position));
        }
        return true;
    }

    private void flush(int position, List<Pending> atPosition) throws IOException {
        atPosition.sort(Comparator.comparingLong(Pending::frameNumber));
        for (int k = 0; k < atPosition.size(); k++) {
            Pending f = atPosition.get(k);
            write(position * framesPerPosition + k, f.frameNumber(), f.complete(), f.events());
        }
    }

    private void write(int slot, long frameNumber, boolean complete, int[] frameEvents) throws IOException {
        writer.writeFrame(slot, frameEvents, frameEvents.length);
        written.set(slot);
        events += frameEvents.length;
        if (!complete) {
            incomplete.addLong(slot);
        }
        images.counted(slot, frameNumber, frameEvents, frameEvents.length);
        listener.counted(slot, frameNumber, frameEvents, frameEvents.length);
    }

    /**
     * Writes the metadata ({@code attributes} plus the frame accounting) and commits the file; every slot without a
     * frame is recorded as missing.
     */
    public synchronized Written commit(Map<String, Object> attributes) throws IOException {
        for (var entry : pending.entrySet()) {
            flush(entry.getKey(), entry.getValue());
        }
        pending.clear();
        long[] missing = new long[frames - written.cardinality()];
        for (int slot = written.nextClearBit(0), i = 0; slot < frames; slot = written.nextClearBit(slot + 1)) {
            missing[i++] = slot;
        }
        long[] incompleteSlots = incomplete.toLongArray();
        Arrays.sort(incompleteSlots);
        Map<String, Object> all = new java.util.LinkedHashMap<>(attributes);
        all.put("frames_expected", (long) frames);
        all.put("frames_counted", (long) written.cardinality());
        all.put("frames_incomplete", (long) incompleteSlots.length);
        all.put("frames_missing", (long) missing.length);
        all.put("events", events);
        writer.metadata("electron_counting", all);
        writer.dataset("frame_status", "incomplete", incompleteSlots);
        writer.dataset("frame_status", "missing", missing);
        writer.commit();
        String stem = output.toString().replaceFirst("\\.h5$", "");
        images.writePngs(Path.of(stem));
        return new Written(written.cardinality(), incompleteSlots.length, missing.length, events, extraFrames);
    }

    /** Drops the file; nothing is left behind. */
    public synchronized void abandon() {
        try {
            writer.close();
        } catch (IOException e) {
            // the temporary file is already gone
        }
    }
}
