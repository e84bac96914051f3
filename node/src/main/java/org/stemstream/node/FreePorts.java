package org.stemstream.node;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Free ports on loopback, for nodes that run on their own (the demo, benchmarks, tests). A port is handed out once
 * per JVM: nodes started one after the other bind their ports only seconds later, and two of them must never be given
 * overlapping ranges in the meantime.
 */
public final class FreePorts {
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private FreePorts() {
    }

    /** A base port with the next ones free too: the {@link NodeSettings#PORTS} ports of a node. */
    public static synchronized int nodeBase() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = probe();
            boolean free = base + NodeSettings.PORTS - 1 < 65535;
            for (int port = base; free && port < base + NodeSettings.PORTS; port++) {
                free = !HANDED_OUT.contains(port) && (port == base || isFree(port));
            }
            if (free) {
                for (int port = base; port < base + NodeSettings.PORTS; port++) {
                    HANDED_OUT.add(port);
                }
                return base;
            }
        }
        throw new IOException("no " + NodeSettings.PORTS + " consecutive free ports on loopback");
    }

    public static synchronized int any() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = probe();
            if (HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IOException("no free port on loopback that was not handed out already");
    }

    private static int probe() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
