// Command readloop is the benchmark's floor: a plain gopacket pcap read
// loop that decodes nothing. tlsentry flows is measured against it.
//
//	go run ./bench/readloop FILE
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: readloop FILE.pcap")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "readloop:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return err
	}
	start := time.Now()
	var pkts, bytes int
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		pkts++
		bytes += len(data)
	}
	el := time.Since(start).Seconds()
	fmt.Printf("packets=%d bytes=%d seconds=%.3f pps=%.0f\n", pkts, bytes, el, float64(pkts)/el)
	return nil
}
