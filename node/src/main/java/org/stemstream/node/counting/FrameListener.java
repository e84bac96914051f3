package org.stemstream.node.counting;

/** Sees each counted frame's events, from the counting threads (for pictures, recall, monitoring). */
@FunctionalInterface
public interface FrameListener {
    FrameListener NONE = (slot, frameNumber, events, count) -> {
    };

    void counted(int slot, long frameNumber, int[] events, int count);
}
