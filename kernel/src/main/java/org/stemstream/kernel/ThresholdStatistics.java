package org.stemstream.kernel;

/**
 * How thresholds were computed from sample frames, for the output file's metadata.
 *
 * @param sampleFrames distinct frames sampled (the first complete ones)
 * @param samples      stempy's number of samples: each frame counts {@code samples / sampleFrames} times
 */
public record ThresholdStatistics(int sampleFrames, int samples, double mean, double stdDev,
                                  double minSample, double maxSample, int bins,
                                  double fittedMean, double fittedSigma,
                                  double backgroundSigma, double xraySigma, Thresholds thresholds) {
}
