// Package mask zeroes the handshake fields that are random on every
// connection (client and server randoms, session ids, key-share public
// keys, the tickets and binders a resumed session offers, an encrypted
// ClientHello's payload) in a flow's prefix before it becomes an image. Those bytes carry
// no information about the client or server, yet they are most of the
// variance an autoencoder sees; masking them leaves the bytes that do
// (versions, cipher and extension lists, certificates).
package mask
