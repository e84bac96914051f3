package org.stemstream.node.scan;

import java.nio.file.Path;
import java.time.Duration;
import org.stemstream.node.counting.CountingSetup;

/**
 * What a scan is: its number, its size, how to count it and where the counted file goes.
 *
 * @param idleTimeout how long the scan waits without data before it ends with what it has
 */
public record ScanSpec(long scanNumber, int scanWidth, int scanHeight, int framesPerPosition, CountingSetup counting,
                       Path output, Duration idleTimeout) {
    public ScanSpec {
        if (scanNumber < 0 || scanNumber > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("scan number " + scanNumber + " is not an unsigned 32-bit value");
        }
        if (scanWidth < 1 || scanHeight < 1 || scanWidth > 0xFFFF || scanHeight > 0xFFFF) {
            throw new IllegalArgumentException("scan size " + scanWidth + "x" + scanHeight
                    + " is outside 1x1 .. 65535x65535");
        }
        if (framesPerPosition < 1) {
            throw new IllegalArgumentException("frames per position must be at least 1, got " + framesPerPosition);
        }
        if ((long) scanWidth * scanHeight * framesPerPosition > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a scan of more than " + Integer.MAX_VALUE + " frames");
        }
        if (output == null) {
            throw new IllegalArgumentException("a scan needs an output path");
        }
        if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("the idle timeout must be positive");
        }
    }

    public int positions() {
        return scanWidth * scanHeight;
    }

    public int frames() {
        return positions() * framesPerPosition;
    }
}
