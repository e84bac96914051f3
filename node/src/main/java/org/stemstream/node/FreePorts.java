package org.stemstream.node;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free ports on loopback, for nodes that run on their own (the demo, benchmarks, tests). */
public final class FreePorts {
    private FreePorts() {
    }

    /** A base port with the next ones free too: the {@link NodeSettings#PORTS} ports of a node. */
    public static int nodeBase() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = any();
            boolean free = base + NodeSettings.PORTS - 1 < 65535;
            for (int port = base + 1; free && port < base + NodeSettings.PORTS; port++) {
                free = isFree(port);
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no " + NodeSettings.PORTS + " consecutive free ports on loopback");
    }

    public static int any() throws IOException {
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
