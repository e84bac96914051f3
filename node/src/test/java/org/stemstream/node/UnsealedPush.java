package org.stemstream.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.FrameGeometry;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Blocks pushed without seals straight into a secured node's sector port, as someone who knows the ports would: the
 * node counts them unauthenticated and takes none.
 *
 * <p>A node sometimes reads nothing from a new connection for 20 s or more (docs/benchmarks.md, not yet understood):
 * then the blocks go again over a new connection, at most three, and the stall is reported with the node's ingress
 * and ZeroMQ threads, to find its cause.
 */
public final class UnsealedPush {
    private UnsealedPush() {
    }

    /** Pushes {@code blocks} blocks of the scan into the sector; returns how many the node counted unauthenticated. */
    public static long into(StemstreamNode node, int sector, long scanNumber, int blocks) throws Exception {
        int port = node.settings().ingressPort() + sector;
        for (int connection = 1; connection <= 3; connection++) {
            try (ZContext context = new ZContext(1)) {
                ZMQ.Socket intruder = context.createSocket(SocketType.PUSH);
                intruder.setImmediate(true); // sends wait for the connection
                intruder.setSendTimeOut(45_000);
                intruder.connect("tcp://127.0.0.1:" + port);
                for (int f = 0; f < blocks; f++) {
                    assertTrue(intruder.sendMore(new BlockHeader(scanNumber, f, 4, 4, f % 4, f / 4).toBytes())
                            && intruder.send(new byte[FrameGeometry.SECTOR_BYTES], 0), "sent");
                }
                if (TestNodes.eventually(Duration.ofSeconds(10),
                        () -> node.sectorStats(sector).rejectedFor("unauthenticated") >= blocks)) {
                    return node.sectorStats(sector).rejectedFor("unauthenticated");
                }
                System.out.printf("sector %d read nothing of connection %d in 10 s (%d producer(s) connected, %d"
                        + " messages in all): sending again over a new connection; its threads:%n%s", sector,
                        connection, node.sectorStats(sector).producersConnected(),
                        node.sectorStats(sector).messages(), ioThreads());
            }
        }
        return node.sectorStats(sector).rejectedFor("unauthenticated");
    }

    /** The stacks of this JVM's ingress and ZeroMQ I/O threads. */
    private static String ioThreads() {
        StringBuilder dump = new StringBuilder();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            String name = e.getKey().getName();
            if (name.startsWith("ingress") || name.startsWith("iothread") || name.startsWith("reaper")) {
                dump.append("  \"").append(name).append("\" ").append(e.getKey().getState()).append('\n');
                for (StackTraceElement frame : e.getValue()) {
                    dump.append("      at ").append(frame).append('\n');
                }
            }
        }
        return dump.toString();
    }
}
