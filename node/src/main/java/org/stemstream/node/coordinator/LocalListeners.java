package org.stemstream.node.coordinator;

import java.util.concurrent.ConcurrentHashMap;
import org.stemstream.node.counting.FrameListener;

/**
 * Observers of counted frames in this JVM, by scan number (the demo's recall and pictures). A scan's writer calls
 * the listener if it runs in the same JVM; listeners never travel between nodes.
 */
public final class LocalListeners {
    private final ConcurrentHashMap<Long, FrameListener> listeners = new ConcurrentHashMap<>();

    public void put(long scanNumber, FrameListener listener) {
        listeners.put(scanNumber, listener);
    }

    public FrameListener get(long scanNumber) {
        return listeners.getOrDefault(scanNumber, FrameListener.NONE);
    }

    public void remove(long scanNumber) {
        listeners.remove(scanNumber);
    }
}
