package org.stemstream.node.security;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pekko's TLS for remoting, configured as {@link ConfigSSLEngineProvider} is, that also says whom it refused: a
 * peer whose certificate this deployment's CA did not sign is logged with its address and certificate subject.
 */
public final class RefusalLoggingTls extends ConfigSSLEngineProvider {
    private static final Logger LOG = LoggerFactory.getLogger(RefusalLoggingTls.class);

    public RefusalLoggingTls(ActorSystem system) {
        super(system);
    }

    @Override
    public TrustManager[] trustManagers() {
        return Arrays.stream(super.trustManagers())
                .map(t -> t instanceof X509ExtendedTrustManager x ? new Logged(x) : t)
                .toArray(TrustManager[]::new);
    }

    private static final class Logged extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager trust;

        Logged(X509ExtendedTrustManager trust) {
            this.trust = trust;
        }

        private static CertificateException refused(String who, X509Certificate[] chain, String peer,
                                                    CertificateException e) {
            LOG.warn("refused {} {}: its certificate ({}) is not signed by this deployment's CA: {}", who, peer,
                    chain.length == 0 ? "none" : chain[0].getSubjectX500Principal(), e.getMessage());
            return e;
        }

        private static String peer(SSLEngine engine) {
            return engine == null ? "?" : engine.getPeerHost() + ":" + engine.getPeerPort();
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            try {
                trust.checkClientTrusted(chain, authType, engine);
            } catch (CertificateException e) {
                throw refused("a connection from", chain, peer(engine), e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            try {
                trust.checkServerTrusted(chain, authType, engine);
            } catch (CertificateException e) {
                throw refused("the node at", chain, peer(engine), e);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            trust.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            trust.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            trust.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            trust.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return trust.getAcceptedIssuers();
        }
    }
}
