package org.stemstream.node.cli;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Locale;

/** The JVM's heap: the most ever used (the sum of each heap pool's peak, an upper bound) and the limit. */
final class HeapUse {
    private HeapUse() {
    }

    static long peakBytes() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    static String describe() {
        return String.format(Locale.ROOT, "peak heap used: %d MiB (limit %d MiB)", peakBytes() >> 20,
                Runtime.getRuntime().maxMemory() >> 20);
    }
}
