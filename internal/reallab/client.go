package reallab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxBody bounds what a client reads of a response.
const maxBody = 1 << 20

// ClientOptions are what every profile shares.
type ClientOptions struct {
	Roots   *x509.CertPool // CAs to trust; nil for the system's
	Timeout time.Duration  // per request; 0 for 10 s
	Pause   time.Duration  // between requests
}

// Result counts a client's requests.
type Result struct {
	OK, Failed int
	FirstErr   error // the first failure, for the log
}

// NewClient returns an HTTP client of the profile that opens a new TCP
// connection (and a full handshake: no session cache) per request.
func (p Profile) NewClient(o ClientOptions) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	t.Proxy = nil
	c := &tls.Config{RootCAs: o.Roots}
	p.set(t, c)
	t.TLSClientConfig = c
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return &http.Client{Transport: t, Timeout: timeout}
}

// Browse fetches each URL in turn with a client of the profile. Failed
// requests are counted, not fatal: the lab's anomalies make clients fail
// on purpose. It stops early only when ctx ends.
func (p Profile) Browse(ctx context.Context, urls []string, o ClientOptions) (Result, error) {
	client := p.NewClient(o)
	defer client.CloseIdleConnections()
	var r Result
	for i, u := range urls {
		if i > 0 && o.Pause > 0 {
			select {
			case <-ctx.Done():
				return r, ctx.Err()
			case <-time.After(o.Pause):
			}
		}
		err := fetch(ctx, client, u)
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		if err != nil {
			r.Failed++
			if r.FirstErr == nil {
				r.FirstErr = err
			}
			continue
		}
		r.OK++
	}
	return r, nil
}

func fetch(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("request %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	err = errors.Join(err, resp.Body.Close())
	if err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode >= 500 {
		return fmt.Errorf("get %s: %s", url, resp.Status)
	}
	return nil
}
