package org.stemstream.kernel;

import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresBuilder;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresOptimizer;
import org.apache.commons.math3.fitting.leastsquares.LevenbergMarquardtOptimizer;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.util.Pair;

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
    private static final int MAX_BINS = 1 << 20;

    private ThresholdCalculator() {
    }

    public static ThresholdStatistics compute(List<ByteBuffer> frames, PixelCorrection correction, int samples,
                                              double backgroundSigma, double xraySigma) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("no complete frame to compute thresholds from");
        }
        if (samples < 1) {
            throw new IllegalArgumentException("the number of threshold samples must be at least 1, got " + samples);
        }
        double weight = (double) samples / frames.size();
        long values = (long) frames.size() * FRAME_PIXELS;

        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (ByteBuffer frame : frames) {
            for (int p = 0; p < FRAME_PIXELS; p++) {
                double v = correction.sampleValue(p, raw(frame, p));
                sum += v;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        double mean = sum / values;
        double squares = 0;
        for (ByteBuffer frame : frames) {
            for (int p = 0; p < FRAME_PIXELS; p++) {
                double d = correction.sampleValue(p, raw(frame, p)) - mean;
                squares += d * d;
            }
        }
        double stdDev = Math.sqrt(weight * squares / (weight * values - 1.0));
        double xray = mean + xraySigma * stdDev;
        if (!Double.isFinite(stdDev) || !Double.isFinite(mean)) {
            throw new IllegalArgumentException("threshold samples hold values that are not numbers"
                    + " (check the dark reference and the gain)");
        }

        // stempy's histogram range: its clamp uses the x-ray threshold where a sigma count was meant, so it is
        // in effect the sample range; the maximum itself falls outside the last bin.
        int maxBin = (int) Math.min(Math.ceil(max), (int) (mean + xray * stdDev));
        int minBin = (int) Math.max((int) min, (int) (mean - xray * stdDev));
        int bins = maxBin - minBin;
        if (bins < 3) {
            throw new IllegalArgumentException("threshold samples span " + bins
                    + " unit bins; a Gaussian needs more spread (is the detector returning constant frames?)");
        }
        if (bins > MAX_BINS) {
            throw new IllegalArgumentException("threshold samples span " + bins + " unit bins (from " + min + " to "
                    + max + "); check the dark reference and the gain");
        }
        double[] histogram = new double[bins];
        for (ByteBuffer frame : frames) {
            for (int p = 0; p < FRAME_PIXELS; p++) {
                int bin = (int) (correction.sampleValue(p, raw(frame, p)) - minBin);
                if (bin < bins) {
                    histogram[bin] += weight;
                }
            }
        }
        double[] fit = fitGaussian(minBin, histogram, mean, stdDev);
        double sigma = Math.abs(fit[2]);
        Thresholds thresholds = new Thresholds(fit[1] + sigma * backgroundSigma, xray);
        return new ThresholdStatistics(frames.size(), samples, mean, stdDev, min, Math.ceil(max), bins,
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
                    double s = point.getEntry(2);
                    RealVector value = new ArrayRealVector(n);
                    Array2DRowRealMatrix jacobian = new Array2DRowRealMatrix(n, 3);
                    for (int i = 0; i < n; i++) {
                        double dx = firstBin + i - mu;
                        double e = Math.exp(-dx * dx / (2 * s * s));
                        value.setEntry(i, a * e);
                        jacobian.setEntry(i, 0, e);
                        jacobian.setEntry(i, 1, a * e * dx / (s * s));
                        jacobian.setEntry(i, 2, a * e * dx * dx / (s * s * s));
                    }
                    return new Pair<>(value, jacobian);
                })
                .build());
        return optimum.getPoint().toArray();
    }

    private static int raw(ByteBuffer frame, int p) {
        return frame.getShort(p << 1) & 0xFFFF;
    }
}
