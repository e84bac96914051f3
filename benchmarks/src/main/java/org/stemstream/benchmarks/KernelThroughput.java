package org.stemstream.benchmarks;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs {@link CountingKernelBenchmark} with a given number of threads and returns the median frames/s. */
public final class KernelThroughput {
    private KernelThroughput() {
    }

    public static double medianFramesPerSecond(int threads, String correction, int iterations, int seconds)
            throws RunnerException {
        Options options = new OptionsBuilder()
                .include(CountingKernelBenchmark.class.getName() + ".countFrame")
                .param("correction", correction)
                .param("layout", "frame")
                .threads(threads)
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(seconds))
                .build();
        Collection<RunResult> results = new Runner(options).run();
        return results.iterator().next().getPrimaryResult().getStatistics().getPercentile(50);
    }
}
