package org.stemstream.node.counting;

import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;

import java.util.ArrayList;
import java.util.List;

/**
 * Virtual detector images of a scan, built from its counted events as frames arrive: bright field (events inside a
 * disk around the beam centre), annular dark field (events in a ring around it) and the centre of mass of each
 * position's events. Each position keeps its events' counts in rings 4 px wide around the beam centre, so the radii
 * can change at any time and the images recompute without the events; the centre of mass keeps sums.
 *
 * <p>The beam centre and the disk's radius are found from the first frames' events (iterated centroid of the events
 * near the disk); frames counted before that are held and taken in then. Memory: 4 bytes per ring, and 20 more per
 * position (308 bytes per position, 20 MB for a 256 x 256 scan). Thread-safe: offline counting calls it from every
 * counting thread.
 */
public final class VirtualImages {
    /** Width of a ring, in detector pixels: radii are multiples of it. */
    public static final int RING = 4;
    public static final int RINGS = 72;
    private static final int FRAMES_FOR_CENTRE = 256;
    /**
     * The centre of mass is that of the events within this many disk radii of the centre: the disk, however the
     * specimen pushes it, and not the electrons scattered to high angles, whose spread would drown its shift.
     */
    private static final double COM_MASK = 1.3;

    /**
     * Radii of the virtual detectors, in pixels from the beam centre, rounded to whole rings (the radii used are the
     * record's, not necessarily those asked for).
     */
    public record Radii(int brightField, int darkFieldInner, int darkFieldOuter) {
        public Radii {
            int most = RING * RINGS;
            if (brightField < 0 || brightField > most || darkFieldInner < 0 || darkFieldOuter <= darkFieldInner
                    || darkFieldOuter > most) {
                throw new IllegalArgumentException("radii must satisfy 0 <= bright field <= " + most + " and 0 <="
                        + " dark field inner < outer <= " + most + " px; got " + brightField + ", " + darkFieldInner
                        + "-" + darkFieldOuter);
            }
            brightField = ring(brightField);
            darkFieldInner = ring(darkFieldInner);
            darkFieldOuter = Math.max(darkFieldInner + RING, ring(darkFieldOuter));
        }

        private static int ring(int radius) {
            return Math.min(RING * RINGS, Math.round(radius / (float) RING) * RING);
        }
    }

    /** Where the beam is on the detector, and the radius of its bright-field disk, in pixels. */
    public record Centre(double row, double col, double diskRadius) {
    }

    private final int positions;
    private final int framesPerPosition;
    private final int[] rings;
    private final double[] rowSums;
    private final double[] colSums;
    private final int[] counts;
    private final List<int[]> held = new ArrayList<>();
    private final List<Integer> heldSlots = new ArrayList<>();
    private final int framesForCentre;
    private Centre centre;
    private Radii radii;
    /** The centre of mass is taken of the events within this squared distance of the centre: the disk's. */
    private double comMask2;
    /** Events taken in, all positions. */
    private long counted;

    public VirtualImages(int positions, int framesPerPosition) {
        this.positions = positions;
        this.framesPerPosition = framesPerPosition;
        this.rings = new int[positions * RINGS];
        this.rowSums = new double[positions];
        this.colSums = new double[positions];
        this.counts = new int[positions];
        this.framesForCentre = Math.min(FRAMES_FOR_CENTRE, positions * framesPerPosition);
    }

    /** Takes in a counted frame's events (pixel indices) at frame slot {@code slot}. */
    public synchronized void add(int slot, int[] events, int count) {
        if (centre == null) {
            held.add(java.util.Arrays.copyOf(events, count));
            heldSlots.add(slot);
            if (held.size() >= framesForCentre) {
                findCentre();
            }
            return;
        }
        accumulate(slot / framesPerPosition, events, count, 1);
    }

    /** Takes back a frame's events (a frame that left its slot: its position's images lose them). */
    public synchronized void remove(int slot, int[] events, int count) {
        if (centre == null) {
            int position = slot / framesPerPosition;
            for (int i = 0; i < held.size(); i++) {
                if (heldSlots.get(i) / framesPerPosition == position && java.util.Arrays.equals(held.get(i), 0,
                        held.get(i).length, events, 0, count)) {
                    held.remove(i);
                    heldSlots.remove(i);
                    return;
                }
            }
            return;
        }
        accumulate(slot / framesPerPosition, events, count, -1);
    }

    /** True once the beam centre is found (the first frames are in); until then there are no images to show. */
    public synchronized boolean centred() {
        return centre != null;
    }

    /** The beam centre, found from the first frames (or from what there is, if fewer came). */
    public synchronized Centre centre() {
        if (centre == null) {
            findCentre();
        }
        return centre;
    }

    /** The scan's own radii: the disk's for the bright field, 1.3 to 2.5 times it for the annular dark field. */
    public synchronized Radii radii() {
        centre();
        return radii;
    }

    /**
     * The beam centre and the radii the images were made with, for the file's metadata ({@code
     * metadata/virtual_images}): detector pixels, rows and columns from the top left.
     */
    public synchronized java.util.Map<String, Object> describe() {
        Centre c = centre();
        boolean found = counted > 0;
        java.util.Map<String, Object> a = new java.util.LinkedHashMap<>();
        a.put("beam_centre_found", found); // false: no events, the centre and radii are the detector's middle
        a.put("beam_centre_row", c.row());
        a.put("beam_centre_col", c.col());
        a.put("disk_radius", c.diskRadius());
        a.put("bright_field_radius", (long) radii.brightField());
        a.put("dark_field_inner_radius", (long) radii.darkFieldInner());
        a.put("dark_field_outer_radius", (long) radii.darkFieldOuter());
        return a;
    }

    /** Events per position inside the bright-field disk. */
    public double[] brightField() {
        return brightField(radii());
    }

    /** Events per position inside a bright-field disk of the given radii's. */
    public synchronized double[] brightField(Radii radii) {
        return ringSum(0, radii.brightField());
    }

    /** Events per position in the dark-field ring. */
    public double[] annularDarkField() {
        return annularDarkField(radii());
    }

    /** Events per position in a dark-field ring of the given radii's. */
    public synchronized double[] annularDarkField(Radii radii) {
        return ringSum(radii.darkFieldInner(), radii.darkFieldOuter());
    }

    /** Mean column (x) of each position's events near the disk, relative to the beam centre; 0 where it has none. */
    public synchronized double[] centreOfMassX() {
        centre();
        return means(colSums);
    }

    /** Mean row (y) of each position's events near the disk, relative to the beam centre; 0 where it has none. */
    public synchronized double[] centreOfMassY() {
        centre();
        return means(rowSums);
    }

    private double[] ringSum(int from, int to) {
        int first = from / RING;
        int last = Math.min(RINGS, (to + RING - 1) / RING);
        double[] image = new double[positions];
        for (int p = 0; p < positions; p++) {
            int sum = 0;
            for (int r = first; r < last; r++) {
                sum += rings[p * RINGS + r];
            }
            image[p] = sum;
        }
        return image;
    }

    private double[] means(double[] sums) {
        double[] image = new double[positions];
        for (int p = 0; p < positions; p++) {
            image[p] = counts[p] == 0 ? 0 : sums[p] / counts[p];
        }
        return image;
    }

    private void accumulate(int position, int[] events, int count, int sign) {
        counted += sign * count;
        Centre c = centre;
        int base = position * RINGS;
        for (int i = 0; i < count; i++) {
            double dy = events[i] / FRAME_WIDTH - c.row();
            double dx = events[i] % FRAME_WIDTH - c.col();
            double d2 = dx * dx + dy * dy;
            int ring = (int) (Math.sqrt(d2) / RING);
            if (ring < RINGS) {
                rings[base + ring] += sign;
            }
            if (d2 < comMask2) {
                rowSums[position] += sign * dy;
                colSums[position] += sign * dx;
                counts[position] += sign;
            }
        }
    }

    /**
     * The centroid of the events, then three times the centroid of those within the disk's estimated radius, the
     * radius re-estimated each time from their spread (a uniform disk's RMS radius is its radius over sqrt 2).
     */
    private void findCentre() {
        double row = 0;
        double col = 0;
        long n = 0;
        for (int[] frame : held) {
            for (int e : frame) {
                row += e / FRAME_WIDTH;
                col += e % FRAME_WIDTH;
                n++;
            }
        }
        double radius = FRAME_WIDTH / 3.0;
        if (n == 0) {
            row = FRAME_WIDTH / 2.0;
            col = FRAME_WIDTH / 2.0;
        } else {
            row /= n;
            col /= n;
            for (int iteration = 0; iteration < 3; iteration++) {
                double sr = 0;
                double sc = 0;
                double sq = 0;
                long inside = 0;
                for (int[] frame : held) {
                    for (int e : frame) {
                        double dy = e / FRAME_WIDTH - row;
                        double dx = e % FRAME_WIDTH - col;
                        double d2 = dx * dx + dy * dy;
                        if (d2 <= radius * radius) {
                            sr += dy;
                            sc += dx;
                            sq += d2;
                            inside++;
                        }
                    }
                }
                if (inside == 0) {
                    break;
                }
                row += sr / inside;
                col += sc / inside;
                radius = Math.max(RING, Math.sqrt(2 * sq / inside));
            }
        }
        centre = new Centre(row, col, radius);
        comMask2 = (COM_MASK * radius) * (COM_MASK * radius);
        int bf = Math.max(RING, (int) Math.round(radius / RING) * RING);
        int inner = Math.min(RING * (RINGS - 1), (int) Math.round(1.3 * radius / RING) * RING);
        int outer = Math.min(RING * RINGS, Math.max(inner + RING, (int) Math.round(2.5 * radius / RING) * RING));
        radii = new Radii(bf, inner, outer);
        for (int i = 0; i < held.size(); i++) {
            int[] events = held.get(i);
            accumulate(heldSlots.get(i) / framesPerPosition, events, events.length, 1);
        }
        held.clear();
        heldSlots.clear();
    }
}
