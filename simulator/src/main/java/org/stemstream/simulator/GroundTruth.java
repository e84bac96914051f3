package org.stemstream.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Electrons a generator put into a scan, read from {@code truth_electrons.csv}, and recall against counted events. */
public final class GroundTruth implements SyntheticDetector.Truth {
    /** Per frame number: the peak pixels of its electrons. */
    private final Map<Long, List<Integer>> peaks = new HashMap<>();
    private int electrons;

    public static GroundTruth read(Path csv) throws IOException {
        GroundTruth truth = new GroundTruth();
        List<String> lines = Files.readAllLines(csv);
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            if (f.length < 6) {
                throw new IOException(csv + " line " + (i + 1) + ": expected 7 columns, got " + f.length);
            }
            truth.add(Long.parseLong(f[1]), Integer.parseInt(f[5]));
        }
        return truth;
    }

    @Override
    public synchronized void electron(long frame, double row, double col, double charge, int peakPixel,
                                      double peakCharge) {
        add(frame, peakPixel);
    }

    @Override
    public void xray(long frame, int row, int col, int value) {
    }

    public synchronized void add(long frameNumber, int peakPixel) {
        peaks.computeIfAbsent(frameNumber, k -> new ArrayList<>()).add(peakPixel);
        electrons++;
    }

    public int electrons() {
        return electrons;
    }

    public synchronized List<Integer> peaks(long frameNumber) {
        return peaks.getOrDefault(frameNumber, List.of());
    }

    /**
     * How many of a frame's true electrons have an event within one pixel (8-neighbourhood) of their peak pixel.
     * Events must be ascending flat indices.
     */
    public int found(long frameNumber, int[] events, int count, int frameWidth) {
        int found = 0;
        for (int peak : peaks(frameNumber)) {
            int r = peak / frameWidth;
            int c = peak % frameWidth;
            for (int i = 0; i < count; i++) {
                int er = events[i] / frameWidth;
                int ec = events[i] % frameWidth;
                if (Math.abs(er - r) <= 1 && Math.abs(ec - c) <= 1) {
                    found++;
                    break;
                }
            }
        }
        return found;
    }
}
