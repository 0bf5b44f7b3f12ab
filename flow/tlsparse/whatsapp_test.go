package tlsparse

import (
	"testing"
)

// WhatsApp clients' first bytes: through Meta's edge ("ED", routing,
// then the prologue and a Noise hello; a 2025 browsing capture of the
// seventh sealed set, laksh-browser-2025-08-21.pcap in
// bench/outofbox/labels-c7.tsv, port 443), and straight to a chat server
// with a FunXMPP first frame (nDPI's whatsapp_voice_and_message.pcap,
// Android 2.12, port 443).
const (
	waEdgeNoise = "45440001000004080d0802574106030001181295020a204b1d15209fa99e7b6e" +
		"a7443f7cd963befa25231afc6ced15d84a6abcf2bee42312306918c5aeb5b6cf"
	waFunXMPP = "574101050000" + "17f80501a59189fc0f416e64726f69642d322e31322e38340000"
)

func TestSniffWhatsApp(t *testing.T) {
	edge, legacy := unhex(t, waEdgeNoise), unhex(t, waFunXMPP)
	noise := edge[7+4:] // without the edge header: the prologue and the hello
	sniffCases{
		"through Meta's edge":          {edge, SniffWhatsApp},
		"straight, a Noise hello":      {noise, SniffWhatsApp},
		"straight, a FunXMPP list":     {legacy, SniffWhatsApp},
		"the prologue alone":           {noise[:4], SniffBinary},
		"a version byte of text":       {withByte(noise, 2, 'x'), SniffBinary},
		"a first frame of 4 bytes":     {withByte(withByte(noise, 5, 0), 6, 4), SniffBinary},
		"a first frame of 64 KiB":      {withByte(noise, 5, 0xff), SniffBinary},
		"a frame of another kind":      {withByte(noise, 7, 0x0a), SniffBinary},
		"the edge's routing too long":  {withByte(edge, 6, 0x80), SniffBinary},
		"the edge header with nothing": {edge[:7], SniffBinary},
	}.check(t)
	neverRandom(t, 7, "WhatsApp", looksWhatsApp)
}
