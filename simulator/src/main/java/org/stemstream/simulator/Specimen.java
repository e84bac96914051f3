package org.stemstream.simulator;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A synthetic specimen for the scan to look at: two grains of a square lattice of atomic columns, tilted against
 * each other across a boundary, with a hole through the film. At each probe position it tells the beam what the
 * specimen does to it: the share of electrons scattered out of the bright-field disk to high angles (more on a
 * column, none in the hole) and how far the disk is pushed (towards the nearest column, as the electrostatic
 * potential of the nuclei pulls the beam). So virtual bright field, annular dark field and centre of mass each show
 * the object.
 *
 * <p>Positions are fractions of the field of view (0 to 1 across and down), so the same specimen fills any scan.
 */
public final class Specimen {
    /** What the specimen does to the beam at one position. */
    public record Probe(double scatter, double shiftRow, double shiftCol) {
        public static final Probe NONE = new Probe(0, 0, 0);
    }

    /** Columns across the field of view. */
    private static final double COLUMNS = 9;
    /** Column radius (Gaussian sigma) as a fraction of the lattice spacing. */
    private static final double COLUMN_SIGMA = 0.2;
    /** Share of electrons scattered out of the disk by the film alone, and at most by a column on top. */
    private static final double FILM_SCATTER = 0.1;
    private static final double COLUMN_SCATTER = 0.5;
    /** Largest push of the disk, in detector pixels. */
    static final double MAX_SHIFT = 20;
    private static final double GRAIN_TILT = Math.toRadians(25);
    private static final double HOLE_ROW = 0.72;
    private static final double HOLE_COL = 0.28;
    private static final double HOLE_RADIUS = 0.14;

    /** The specimen every demo and test uses. */
    public static final Specimen LATTICE = new Specimen();

    private Specimen() {
    }

    /** What the specimen does at ({@code row}, {@code col}), fractions of the field of view. */
    public Probe at(double row, double col) {
        if (inHole(row, col)) {
            return Probe.NONE;
        }
        double tilt = grain(row, col) == 0 ? 0 : GRAIN_TILT;
        double cos = Math.cos(tilt);
        double sin = Math.sin(tilt);
        // lattice coordinates, in spacings
        double u = COLUMNS * (cos * col + sin * row);
        double v = COLUMNS * (-sin * col + cos * row);
        double du = u - Math.rint(u);
        double dv = v - Math.rint(v);
        double column = Math.exp(-(du * du + dv * dv) / (2 * COLUMN_SIGMA * COLUMN_SIGMA));
        // pushed towards the column centre, strongest on its flank, zero on top and far away
        double pull = MAX_SHIFT * column * Math.sqrt(du * du + dv * dv) / COLUMN_SIGMA * Math.exp(0.5);
        double norm = Math.max(1e-12, Math.sqrt(du * du + dv * dv));
        double pu = -pull * du / norm;
        double pv = -pull * dv / norm;
        // back to detector rows and columns (the detector sees the scan's axes)
        double shiftCol = cos * pu - sin * pv;
        double shiftRow = sin * pu + cos * pv;
        return new Probe(FILM_SCATTER + COLUMN_SCATTER * column, clamp(shiftRow), clamp(shiftCol));
    }

    /** 0 or 1: which grain ({@code row}, {@code col}) is in; the boundary runs diagonally across the field. */
    public int grain(double row, double col) {
        return row > 0.35 + 0.45 * col ? 1 : 0;
    }

    public boolean inHole(double row, double col) {
        double dr = row - HOLE_ROW;
        double dc = col - HOLE_COL;
        return dr * dr + dc * dc < HOLE_RADIUS * HOLE_RADIUS;
    }

    /** The probe at scan position ({@code x}, {@code y}) of a {@code width} x {@code height} scan: its centre. */
    public Probe at(int x, int y, int width, int height) {
        return at((y + 0.5) / height, (x + 0.5) / width);
    }

    /**
     * Writes the truth of a scan over this specimen, {@code specimen_truth.csv}: per position its x, y, grain, whether
     * it is in the hole, the scattered share and the disk's shift (rows, columns) in pixels.
     */
    public Path writeTruth(Path dir, int width, int height) throws IOException {
        Path file = dir.resolve("specimen_truth.csv");
        try (Writer out = Files.newBufferedWriter(file)) {
            out.write("x,y,grain,hole,scatter,shift_row,shift_col\n");
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    Probe p = at(x, y, width, height);
                    double row = (y + 0.5) / height;
                    double col = (x + 0.5) / width;
                    out.write(String.format(Locale.ROOT, "%d,%d,%d,%d,%.6f,%.4f,%.4f%n", x, y, grain(row, col),
                            inHole(row, col) ? 1 : 0, p.scatter(), p.shiftRow(), p.shiftCol()));
                }
            }
        }
        return file;
    }

    private static double clamp(double shift) {
        return Math.max(-MAX_SHIFT, Math.min(MAX_SHIFT, shift));
    }
}
