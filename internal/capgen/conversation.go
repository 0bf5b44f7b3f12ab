package capgen

import "math/rand/v2"

// Write is one application write by one peer.
type Write struct {
	FromClient bool
	Data       []byte
}

// Conversation is the writes of both peers of one TCP connection, in the order
// they were sent.
type Conversation []Write

// ClientWrite and ServerWrite make scripted writes shorter to spell.
func ClientWrite(data []byte) Write { return Write{FromClient: true, Data: data} }

// ServerWrite is the server-side twin of ClientWrite.
func ServerWrite(data []byte) Write { return Write{FromClient: false, Data: data} }

// Prefix returns the first n bytes of all writes concatenated in send order
// (both directions): what the sensor's flow prefix must hold. It is shorter
// than n when the conversation is; see PaddedPrefix for the zero-padded form.
func (c Conversation) Prefix(n int) []byte {
	n = max(n, 0)
	out := make([]byte, 0, n)
	for _, w := range c {
		if len(out) >= n {
			break
		}
		out = append(out, w.Data[:min(len(w.Data), n-len(out))]...)
	}
	return out
}

// PaddedPrefix is Prefix zero-padded to exactly n bytes, the layout of
// DESIGN.md section 2.
func (c Conversation) PaddedPrefix(n int) []byte {
	p := c.Prefix(n)
	return append(p, make([]byte, max(n, 0)-len(p))...)
}

// ClientStream returns every byte the client sent, in order.
func (c Conversation) ClientStream() []byte { return c.stream(true) }

// ServerStream returns every byte the server sent, in order.
func (c Conversation) ServerStream() []byte { return c.stream(false) }

func (c Conversation) stream(fromClient bool) []byte {
	var out []byte
	for _, w := range c {
		if w.FromClient == fromClient {
			out = append(out, w.Data...)
		}
	}
	return out
}

// ContiguousPrefix returns Prefix(n) cut at the first byte that a capture gap
// hid. A reassembler must not invent the lost bytes, so whatever policy it uses
// after a gap (stop, skip, pad), its prefix must begin with these bytes.
func (c Conversation) ContiguousPrefix(n int, gaps []Gap) []byte {
	out := make([]byte, 0, max(n, 0))
	var off [2]int // stream offset per direction: 0 server, 1 client
	for _, w := range c {
		d := dirIndex(w.FromClient)
		for i, b := range w.Data {
			if len(out) >= n || inGap(gaps, w.FromClient, off[d]+i) {
				return out
			}
			out = append(out, b)
		}
		off[d] += len(w.Data)
	}
	return out
}

func inGap(gaps []Gap, fromClient bool, off int) bool {
	for _, g := range gaps {
		if g.FromClient == fromClient && off >= g.Offset && off < g.Offset+g.Len {
			return true
		}
	}
	return false
}

func dirIndex(fromClient bool) int {
	if fromClient {
		return 1
	}
	return 0
}

// HTTPExchange is a plain-text HTTP request and its response.
func HTTPExchange(request, response string) Conversation {
	return Conversation{ClientWrite([]byte(request)), ServerWrite([]byte(response))}
}

// SSHBanners is the start of an SSH session, e.g. a non-TLS protocol on 443:
// the server announces itself first, then the client.
func SSHBanners(serverBanner, clientBanner string) Conversation {
	return Conversation{ServerWrite([]byte(serverBanner + "\r\n")), ClientWrite([]byte(clientBanner + "\r\n"))}
}

// RandomConversation returns writes random writes of 1..maxLen random bytes,
// the client writing first and each later write changing direction with
// probability 1/2. Same seed, same conversation.
func RandomConversation(seed uint64, writes, maxLen int) Conversation {
	r := rand.New(rand.NewPCG(seed, 0x636170676e))
	conv := make(Conversation, 0, writes)
	fromClient := true
	for i := range writes {
		if i > 0 && r.IntN(2) == 0 {
			fromClient = !fromClient
		}
		data := make([]byte, 1+r.IntN(max(maxLen, 1)))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		conv = append(conv, Write{FromClient: fromClient, Data: data})
	}
	return conv
}
