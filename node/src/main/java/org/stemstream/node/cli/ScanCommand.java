package org.stemstream.node.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.ScanView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code stemstream scan start|status|cancel|list}: scan commands to a running cluster. */
@Command(name = "scan", mixinStandardHelpOptions = true, description = "Start, follow, cancel and list scans.",
        subcommands = {ScanCommand.Start.class, ScanCommand.Status.class, ScanCommand.Cancel.class,
                ScanCommand.ListScans.class})
final class ScanCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Follows a scan until it ends; the exit code says whether it is done. */
    static int follow(ClusterClient client, long scanNumber) throws InterruptedException {
        ScanView view = ScanProgress.follow(() -> client.status(scanNumber));
        System.out.println(view.describe());
        return view.state() == ScanView.State.DONE ? 0 : 1;
    }

    @Command(name = "start", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Start a scan: the cluster's nodes take its frames from the detector and count them.")
    static final class Start implements Callable<Integer> {
        @Mixin
        ScanOptions scan;

        @Mixin
        ContactOptions contact;

        @Option(names = "--follow", description = "Show progress until the scan ends.")
        boolean follow;

        @Override
        public Integer call() throws Exception {
            ScanRequest request = scan.toRequest();
            try (ClusterClient client = contact.connect()) {
                GatewayProtocol.ScanReply reply;
                try {
                    reply = client.start(request);
                } catch (ClusterClient.NoAnswer noAnswer) {
                    reply = new GatewayProtocol.ScanFound(startedAnyway(client, request, noAnswer));
                }
                if (reply instanceof GatewayProtocol.ScanRefused refused) {
                    throw new IllegalArgumentException(refused.reason());
                }
                System.out.println(((GatewayProtocol.ScanFound) reply).view().line());
                return follow ? follow(client, request.scanNumber()) : 0;
            }
        }

        /**
         * The start's answer did not come in time, yet the start may have taken effect (a busy coordinator, a node
         * leaving): the scan's status tells. Returns the scan when this request started it; otherwise throws, saying
         * whether it was not started (starting it again is safe) or cannot be told.
         */
        static ScanView startedAnyway(ClusterClient client, ScanRequest request, ClusterClient.NoAnswer noAnswer) {
            long n = request.scanNumber();
            ScanView view;
            try {
                view = client.status(n);
            } catch (ClusterClient.NoAnswer again) {
                throw new IllegalArgumentException(noAnswer.getMessage() + ", nor then to a status request: whether"
                        + " scan " + n + " started is not known (stemstream scan status " + n + " tells)");
            } catch (IllegalArgumentException unknown) {
                throw new IllegalArgumentException(noAnswer.getMessage() + "; scan " + n + " was not started ("
                        + unknown.getMessage() + "): starting it again is safe");
            }
            if (!Path.of(view.output()).toAbsolutePath().normalize().equals(
                    Path.of(request.output()).toAbsolutePath().normalize())) {
                throw new IllegalArgumentException(noAnswer.getMessage() + "; a scan " + n + " exists, but for"
                        + " another output (" + view.output() + "): this command did not start it");
            }
            System.err.println(noAnswer.getMessage() + ", but scan " + n + " was started: the answer came late");
            return view;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "A scan's state, frames, rate and ETA.")
    static final class Status implements Callable<Integer> {
        @Parameters(paramLabel = "N", description = "The scan number.")
        long scanNumber;

        @Mixin
        ContactOptions contact;

        @Option(names = "--follow", description = "Show a live progress bar until the scan ends.")
        boolean follow;

        @Override
        public Integer call() throws Exception {
            try (ClusterClient client = contact.connect()) {
                if (follow) {
                    return follow(client, scanNumber);
                }
                System.out.println(client.status(scanNumber).describe());
                return 0;
            }
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a scan; its file is dropped.")
    static final class Cancel implements Callable<Integer> {
        @Parameters(paramLabel = "N", description = "The scan number.")
        long scanNumber;

        @Mixin
        ContactOptions contact;

        @Override
        public Integer call() throws Exception {
            try (ClusterClient client = contact.connect()) {
                GatewayProtocol.ScanReply reply;
                try {
                    reply = client.cancel(scanNumber);
                } catch (ClusterClient.NoAnswer noAnswer) {
                    reply = new GatewayProtocol.ScanFound(cancelledAnyway(client, scanNumber, noAnswer));
                }
                if (reply instanceof GatewayProtocol.ScanRefused refused) {
                    throw new IllegalArgumentException(refused.reason());
                }
                System.out.println(((GatewayProtocol.ScanFound) reply).view().line());
                return 0;
            }
        }

        /**
         * The cancel's answer did not come in time: the scan's status tells whether it took effect. Returns the scan
         * when it is cancelled (or being cancelled); otherwise throws, saying what it is. Cancelling again is safe.
         */
        static ScanView cancelledAnyway(ClusterClient client, long n, ClusterClient.NoAnswer noAnswer) {
            ScanView view;
            try {
                view = client.status(n);
            } catch (ClusterClient.NoAnswer again) {
                throw new IllegalArgumentException(noAnswer.getMessage() + ", nor then to a status request: whether"
                        + " scan " + n + " was cancelled is not known; cancelling it again is safe");
            }
            if (view.state() == ScanView.State.CANCELLED || view.message().startsWith("cancelled")) {
                System.err.println(noAnswer.getMessage() + ", but scan " + n + " was cancelled: the answer came late");
                return view;
            }
            throw new IllegalArgumentException(noAnswer.getMessage() + "; scan " + n + " was not cancelled ("
                    + view.state().name().toLowerCase(java.util.Locale.ROOT) + ")"
                    + (view.state().isFinal() ? ": it had ended" : ": cancelling it again is safe"));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every scan the cluster knows.")
    static final class ListScans implements Callable<Integer> {
        @Mixin
        ContactOptions contact;

        @Override
        public Integer call() throws Exception {
            try (ClusterClient client = contact.connect()) {
                var scans = client.list().scans();
                if (scans.isEmpty()) {
                    System.out.println("no scans");
                }
                scans.forEach(s -> System.out.println(s.line()));
                return 0;
            }
        }
    }
}
