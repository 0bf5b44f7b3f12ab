package natsout

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Conn is a connection made by Connect.
type Conn struct {
	*nats.Conn
	closed chan struct{} // closed by the client's last callback
}

// Close closes the connection and waits (a few seconds at most) until
// the client has run its last callback, so that none logs after it.
func (c *Conn) Close() {
	c.Conn.Close()
	select {
	case <-c.closed:
	case <-time.After(5 * time.Second):
	}
}

// Connect opens the connection cfg describes, named name (the sensor).
// It does not wait for a server: while none answers (at start or later)
// the client keeps trying in the background and publishes fail at once,
// so that the Output spools instead of buffering in memory. log gets the
// connection's ups and downs.
func Connect(cfg Config, name string, log *zap.Logger) (*Conn, error) {
	if log == nil {
		log = zap.NewNop()
	}
	closed := make(chan struct{})
	opts := []nats.Option{
		nats.Name("tlsentry " + name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
		// No buffer while reconnecting: a publish then fails, and the
		// record waits in the spool instead of in memory.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err != nil && !nc.IsClosed() {
				log.Warn("NATS connection lost; records are spooled until it is back", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("NATS connection back", zap.String("server", nc.ConnectedUrlRedacted()))
		}),
		nats.ConnectHandler(func(nc *nats.Conn) {
			log.Info("NATS connected", zap.String("server", nc.ConnectedUrlRedacted()))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Warn("NATS error", zap.Error(err))
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
	}
	switch {
	case cfg.Creds != "":
		opts = append(opts, nats.UserCredentials(cfg.Creds))
	case cfg.NKey != "":
		opt, err := nats.NkeyOptionFromSeed(cfg.NKey)
		if err != nil {
			return nil, fmt.Errorf("natsout: nkey: %w", err)
		}
		opts = append(opts, opt)
	}
	if cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCA))
	}
	if cfg.TLSCert != "" {
		opts = append(opts, nats.ClientCert(cfg.TLSCert, cfg.TLSKey))
	}
	nc, err := nats.Connect(strings.Join(cfg.Servers, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("natsout: connect: %w", err)
	}
	return &Conn{Conn: nc, closed: closed}, nil
}

// StreamConfig is the stream cfg creates: file storage, the configured
// subjects, age and size limits and duplicate window.
func StreamConfig(cfg Config) jetstream.StreamConfig {
	sc := jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "tlsentry records (alerts, flows) from every sensor",
		Subjects:    cfg.StreamSubjects,
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.StreamMaxAge,
		Duplicates:  cfg.DuplicateWindow,
		MaxBytes:    -1,
		MaxMsgs:     -1,
	}
	if cfg.StreamMaxSizeMB > 0 {
		sc.MaxBytes = int64(cfg.StreamMaxSizeMB) << 20
	}
	return sc
}

// EnsureStream creates the stream cfg describes, or updates it to cfg's
// settings when it exists.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(ctx, StreamConfig(cfg)); err != nil {
		return fmt.Errorf("natsout: stream %s: %w", cfg.Stream, err)
	}
	return nil
}
