package org.stemstream.protocol;

import java.util.Arrays;
import java.util.List;

/**
 * What thresholds need to know of sample frames, in a form that adds up: the count, sum and sum of squares of the
 * corrected values, their range, and a histogram by {@code floor(value)}. Frames sampled on different nodes merge
 * exactly as if one node had seen them all; the kernel's threshold calculator turns the merged statistics into
 * thresholds.
 *
 * @param frames    the sample frames, with their frame numbers (to pick the lowest K across nodes)
 * @param firstBin  the histogram's first value, {@code floor(min)}
 * @param histogram counts of values with {@code floor(value) = firstBin + i}
 */
public record SampleStatistics(long[] frames, long count, double sum, double sumOfSquares, double min, double max,
                               int firstBin, long[] histogram) {

    /** Both samples together. */
    public SampleStatistics merge(SampleStatistics other) {
        int first = Math.min(firstBin, other.firstBin);
        int last = Math.max(firstBin + histogram.length, other.firstBin + other.histogram.length);
        long[] merged = new long[last - first];
        for (int i = 0; i < histogram.length; i++) {
            merged[firstBin - first + i] += histogram[i];
        }
        for (int i = 0; i < other.histogram.length; i++) {
            merged[other.firstBin - first + i] += other.histogram[i];
        }
        long[] both = Arrays.copyOf(frames, frames.length + other.frames.length);
        System.arraycopy(other.frames, 0, both, frames.length, other.frames.length);
        return new SampleStatistics(both, count + other.count, sum + other.sum, sumOfSquares + other.sumOfSquares,
                Math.min(min, other.min), Math.max(max, other.max), first, merged);
    }

    public static SampleStatistics mergeAll(List<SampleStatistics> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no complete frame to compute thresholds from");
        }
        SampleStatistics all = samples.get(0);
        for (int i = 1; i < samples.size(); i++) {
            all = all.merge(samples.get(i));
        }
        return all;
    }
}
