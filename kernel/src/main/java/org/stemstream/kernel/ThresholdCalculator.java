package org.stemstream.kernel;

import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresBuilder;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresOptimizer;
import org.apache.commons.math3.fitting.leastsquares.LevenbergMarquardtOptimizer;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.util.Pair;
import org.stemstream.protocol.SampleStatistics;

/**
 * stempy's threshold calculation, made deterministic and numerically sound.
 *
 * <p>stempy draws {@code samples} frames at random from the first blocks; here each of the first K complete frames is
 * weighted {@code samples / K} times, which is exactly stempy's result when K = 1. Statistics are taken in a signed
 * (or float) domain, so a real dark reference works. Then, as stempy: the x-ray threshold is
 * {@code mean + xraySigma * std} (sample standard deviation), and a Gaussian fitted by Levenberg-Marquardt to the
 * unit-bin histogram gives the background threshold {@code mu + |sigma| * backgroundSigma}.
 */
public final class ThresholdCalculator {
    static final int MAX_BINS = 1 << 20;

    private ThresholdCalculator() {
    }

    /** The statistics of one frame's corrected values (signed, or float with a gain: never wrapped). */
    public static SampleStatistics sample(long frameNumber, ByteBuffer frame, PixelCorrection correction) {
        double sum = 0;
        double squares = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p < FRAME_PIXELS; p++) {
            double v = correction.sampleValue(p, frame.getShort(p << 1) & 0xFFFF);
            sum += v;
            squares += v * v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (!Double.isFinite(sum) || !Double.isFinite(squares)) {
            throw new IllegalArgumentException("threshold samples hold values that are not numbers"
                    + " (check the dark reference and the gain)");
        }
        int first = (int) Math.floor(min);
        long span = (long) Math.floor(max) - first + 1;
        if (span > MAX_BINS) {
            throw new IllegalArgumentException("threshold samples span " + span + " unit bins (from " + min + " to "
                    + max + "); check the dark reference and the gain");
        }
        long[] histogram = new long[(int) span];
        for (int p = 0; p < FRAME_PIXELS; p++) {
            histogram[(int) Math.floor(correction.sampleValue(p, frame.getShort(p << 1) & 0xFFFF)) - first]++;
        }
        return new SampleStatistics(new long[] {frameNumber}, FRAME_PIXELS, sum, squares, min, max, first, histogram);
    }

    /** Thresholds from sample frames held in memory (frame numbers are their order). */
    public static ThresholdStatistics compute(List<ByteBuffer> frames, PixelCorrection correction, int samples,
                                              double backgroundSigma, double xraySigma) {
        List<SampleStatistics> each = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            each.add(sample(i, frames.get(i), correction));
        }
        return compute(SampleStatistics.mergeAll(each), samples, backgroundSigma, xraySigma);
    }

    /** Thresholds from the merged statistics of the sample frames. */
    public static ThresholdStatistics compute(SampleStatistics s, int samples, double backgroundSigma,
                                              double xraySigma) {
        if (samples < 1) {
            throw new IllegalArgumentException("the number of threshold samples must be at least 1, got " + samples);
        }
        int sampleFrames = s.frames().length;
        double weight = (double) samples / sampleFrames;
        double mean = s.sum() / s.count();
        double squares = Math.max(0, s.sumOfSquares() - s.sum() * mean); // sum of squared deviations
        double stdDev = Math.sqrt(weight * squares / (weight * s.count() - 1.0));
        double xray = mean + xraySigma * stdDev;

        // stempy's histogram range: its clamp uses the x-ray threshold where a sigma count was meant, so it is
        // in effect the sample range; the maximum itself falls outside the last bin.
        int maxBin = (int) Math.min(Math.ceil(s.max()), (int) (mean + xray * stdDev));
        int minBin = (int) Math.max((int) s.min(), (int) (mean - xray * stdDev));
        int bins = maxBin - minBin;
        if (bins < 3) {
            throw new IllegalArgumentException("threshold samples span " + bins
                    + " unit bins; a Gaussian needs more spread (is the detector returning constant frames?)");
        }
        double[] histogram = new double[bins];
        for (int i = 0; i < s.histogram().length; i++) {
            int bin = s.firstBin() + i - minBin;
            if (bin >= 0 && bin < bins) {
                histogram[bin] += weight * s.histogram()[i];
            }
        }
        double[] fit = fitGaussian(minBin, histogram, mean, stdDev);
        double sigma = Math.abs(fit[2]);
        Thresholds thresholds = new Thresholds(fit[1] + sigma * backgroundSigma, xray);
        return new ThresholdStatistics(sampleFrames, samples, mean, stdDev, s.min(), Math.ceil(s.max()), bins,
                fit[1], sigma, backgroundSigma, xraySigma, thresholds);
    }

    /** Fits {@code A exp(-(x - mu)^2 / (2 sigma^2))} to the histogram, from stempy's start (peak, mean, std). */
    private static double[] fitGaussian(int firstBin, double[] histogram, double mean, double stdDev) {
        double peak = 0;
        for (double h : histogram) {
            peak = Math.max(peak, h);
        }
        int n = histogram.length;
        LeastSquaresOptimizer.Optimum optimum = new LevenbergMarquardtOptimizer().optimize(new LeastSquaresBuilder()
                .start(new double[] {peak, mean, stdDev})
                .target(histogram)
                .maxEvaluations(10_000)
                .maxIterations(10_000)
                .model(point -> {
                    double a = point.getEntry(0);
                    double mu = point.getEntry(1);
                    double sd = point.getEntry(2);
                    RealVector value = new ArrayRealVector(n);
                    Array2DRowRealMatrix jacobian = new Array2DRowRealMatrix(n, 3);
                    for (int i = 0; i < n; i++) {
                        double dx = firstBin + i - mu;
                        double e = Math.exp(-dx * dx / (2 * sd * sd));
                        value.setEntry(i, a * e);
                        jacobian.setEntry(i, 0, e);
                        jacobian.setEntry(i, 1, a * e * dx / (sd * sd));
                        jacobian.setEntry(i, 2, a * e * dx * dx / (sd * sd * sd));
                    }
                    return new Pair<>(value, jacobian);
                })
                .build());
        return optimum.getPoint().toArray();
    }
}
