package org.stemstream.node.coordinator;

import static org.stemstream.protocol.FrameGeometry.FRAME_HEIGHT;
import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.stemstream.hdf5.ScanShape;
import org.stemstream.hdf5.SparseCountsWriter;
import org.stemstream.node.counting.FrameListener;
import org.stemstream.node.counting.ScanImages;
import org.stemstream.node.counting.VirtualImages;
import org.stemstream.protocol.cluster.GatewayProtocol;

/**
 * A scan's counted file while frames arrive from any node: puts each frame in its slot (position-major, the frames
 * of a position by frame number, as offline counting does), remembers which were incomplete, and at the end writes
 * the metadata and the frame status lists, then two pictures beside the file (the scan and its mean diffraction
 * pattern).
 *
 * <p>A position that gets more frames than the scan declared keeps those with the lowest frame numbers, whatever
 * order they arrived in; the others are extra frames, counted and left out.
 */
public final class ScanFile {
    private final int framesPerPosition;
    private final int frames;
    private final SparseCountsWriter writer;
    private final ScanImages images;
    private final FrameListener listener;
    private final BitSet written;
    private final BitSet incomplete;
    /** The frame number in each slot. */
    private final long[] slotFrame;
    private final Int2ObjectHashMap<List<Pending>> pending = new Int2ObjectHashMap<>();
    private long events;
    private long extraFrames;
    private long duplicates;
    private final LongHashSet stored = new LongHashSet();
    private Path committed;

    private record Pending(long frameNumber, boolean complete, int[] events) {
    }

    /** What the file holds once committed, and where it is. */
    public record Written(Path file, long frames, long incomplete, long missing, long events, long extraFrames,
                          long duplicates) {
    }

    /** @throws java.nio.file.FileAlreadyExistsException when the output exists: counted data is never overwritten */
    public ScanFile(Path output, int scanWidth, int scanHeight, int framesPerPosition, FrameListener listener)
            throws IOException {
        this.framesPerPosition = framesPerPosition;
        this.frames = scanWidth * scanHeight * framesPerPosition;
        this.writer = SparseCountsWriter.create(output, new ScanShape(scanWidth, scanHeight, framesPerPosition,
                FRAME_WIDTH, FRAME_HEIGHT));
        this.images = new ScanImages(scanWidth, scanHeight, framesPerPosition);
        this.listener = listener == null ? FrameListener.NONE : listener;
        this.written = new BitSet(frames);
        this.incomplete = new BitSet(frames);
        this.slotFrame = new long[frames];
    }

    /**
     * Stores a counted frame; false when it is left out: delivered before (the first copy wins), or an extra frame
     * at a position that has all its frames with lower numbers.
     */
    public synchronized boolean record(long frameNumber, int position, boolean complete, int[] frameEvents, int offset,
                                       int n) throws IOException {
        if (!stored.add(frameNumber)) {
            duplicates++; // sent again after a node was lost: the same frame, counted alike
            return false;
        }
        if (position < 0 || position * framesPerPosition >= frames) {
            extraFrames++;
            return false;
        }
        Pending frame = new Pending(frameNumber, complete, Arrays.copyOfRange(frameEvents, offset, offset + n));
        if (written.get(position * framesPerPosition)) {
            return placeExtra(position, frame);
        }
        if (framesPerPosition == 1) {
            write(position, frame);
            return true;
        }
        List<Pending> atPosition = pending.computeIfAbsent(position, p -> new ArrayList<>(framesPerPosition));
        atPosition.add(frame);
        if (atPosition.size() == framesPerPosition) {
            flush(position, pending.remove(position));
        }
        return true;
    }

    private void flush(int position, List<Pending> atPosition) throws IOException {
        atPosition.sort(Comparator.comparingLong(Pending::frameNumber));
        for (int k = 0; k < atPosition.size(); k++) {
            write(position * framesPerPosition + k, atPosition.get(k));
        }
    }

    private void write(int slot, Pending f) throws IOException {
        writer.writeFrame(slot, f.events(), f.events().length);
        fill(slot, f);
        listener.counted(slot, f.frameNumber(), f.events(), f.events().length);
    }

    /**
     * One frame more than the position's full set: it takes its place by frame number and the highest-numbered frame
     * leaves (its slot's successors move up one), so which frames stay does not depend on the order they came in.
     */
    private boolean placeExtra(int position, Pending frame) throws IOException {
        extraFrames++;
        int first = position * framesPerPosition;
        int last = first + framesPerPosition - 1;
        if (frame.frameNumber() > slotFrame[last]) {
            return false;
        }
        int[] leaving = writer.events(last);
        events -= leaving.length;
        images.removed(last, leaving, leaving.length);
        int slot = last;
        for (; slot > first && slotFrame[slot - 1] > frame.frameNumber(); slot--) {
            int[] moved = writer.events(slot - 1);
            writer.replaceFrame(slot, moved, moved.length);
            slotFrame[slot] = slotFrame[slot - 1];
            incomplete.set(slot, incomplete.get(slot - 1));
        }
        writer.replaceFrame(slot, frame.events(), frame.events().length);
        fill(slot, frame);
        listener.counted(slot, frame.frameNumber(), frame.events(), frame.events().length);
        return true;
    }

    private void fill(int slot, Pending f) {
        written.set(slot);
        slotFrame[slot] = f.frameNumber();
        incomplete.set(slot, !f.complete());
        events += f.events().length;
        images.counted(slot, f.frameNumber(), f.events(), f.events().length);
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
        long[] incompleteSlots = incomplete.stream().asLongStream().toArray();
        Map<String, Object> all = new java.util.LinkedHashMap<>(attributes);
        all.put("frames_expected", (long) frames);
        all.put("frames_counted", (long) written.cardinality());
        all.put("frames_incomplete", (long) incompleteSlots.length);
        all.put("frames_missing", (long) missing.length);
        all.put("events", events);
        all.put("frames_extra", extraFrames);
        all.put("frames_duplicate", duplicates);
        writer.metadata("electron_counting", all);
        writer.metadata("virtual_images", images.virtual().describe());
        writer.dataset("frame_status", "incomplete", incompleteSlots);
        writer.dataset("frame_status", "missing", missing);
        committed = writer.commit();
        return new Written(committed, written.cardinality(), incompleteSlots.length, missing.length, events,
                extraFrames, duplicates);
    }

    /** Writes the two pictures beside the committed file: {@code <name>_scan.png}, {@code <name>_diffraction.png}. */
    public synchronized void writePictures() throws IOException {
        images.writePngs(committed);
    }

    /**
     * A picture so far: the summed pattern, or the scan picture with these radii (all 0: the scan's own); none before
     * the beam centre is found from the first frames (asking must not settle it on too few).
     */
    public synchronized GatewayProtocol.PicturesReply picture(long scanNumber, boolean pattern,
            int brightField, int darkFieldInner, int darkFieldOuter) throws IOException {
        if (!images.virtual().centred()) {
            return new GatewayProtocol.NoPictures("scan " + scanNumber + " has its pictures once its first frames"
                    + " give the beam centre");
        }
        VirtualImages.Radii radii = brightField == 0 && darkFieldInner == 0 && darkFieldOuter == 0
                ? images.virtual().radii() : new VirtualImages.Radii(brightField, darkFieldInner, darkFieldOuter);
        VirtualImages.Centre centre = images.virtual().centre();
        return new GatewayProtocol.Picture(scanNumber, pattern ? images.livePatternPng() : images.livePng(radii),
                centre.row(), centre.col(), radii.brightField(), radii.darkFieldInner(), radii.darkFieldOuter());
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
