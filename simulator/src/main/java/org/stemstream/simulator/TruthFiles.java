package org.stemstream.simulator;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The ground truth of a synthetic scan as CSV, in the fixtures' columns: truth_electrons.csv, truth_xrays.csv. */
public final class TruthFiles implements SyntheticDetector.Truth, AutoCloseable {
    private final BufferedWriter electrons;
    private final BufferedWriter xrays;
    private final int framesPerPosition;

    public TruthFiles(Path dir, int framesPerPosition) throws IOException {
        this.framesPerPosition = framesPerPosition;
        electrons = Files.newBufferedWriter(dir.resolve("truth_electrons.csv"));
        xrays = Files.newBufferedWriter(dir.resolve("truth_xrays.csv"));
        electrons.write("image,frame_number,row,col,charge,peak_pixel_index,peak_pixel_charge\n");
        xrays.write("image,frame_number,row,col,value\n");
    }

    @Override
    public synchronized void electron(long frame, double row, double col, double charge, int peakPixel,
                                      double peakCharge) {
        write(electrons, String.format(Locale.ROOT, "%d,%d,%.6f,%.6f,%.4f,%d,%.4f%n",
                (frame - 1) / framesPerPosition, frame, row, col, charge, peakPixel, peakCharge));
    }

    @Override
    public synchronized void xray(long frame, int row, int col, int value) {
        write(xrays, String.format(Locale.ROOT, "%d,%d,%d,%d,%d%n",
                (frame - 1) / framesPerPosition, frame, row, col, value));
    }

    private static void write(BufferedWriter out, String line) {
        try {
            out.write(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        electrons.close();
        xrays.close();
    }
}
