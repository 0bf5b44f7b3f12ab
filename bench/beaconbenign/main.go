// Command beaconbenign reads the records of `tlsentry score` (eve JSON
// lines) on stdin and tells how many client and server pairs they hold
// and which periodic-connections (beacon) alerts fired, each with its
// evidence: the false-finding count of bench/beacon_benign.sh.
//
// Output: one line "pairs=N flows=N beacon_alerts=N first=N updates=N",
// then one line per alert (tab-separated: client, destination, server
// name, period, jitter, count, clients of the destination, score, the
// finding in words).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type record struct {
	EventType string `json:"event_type"`
	SrcIP     string `json:"src_ip"`
	DestIP    string `json:"dest_ip"`
	DestPort  int    `json:"dest_port"`
	Alert     *struct {
		SignatureID int `json:"signature_id"`
	} `json:"alert"`
	Sensor struct {
		Score   float64 `json:"score"`
		Finding string  `json:"finding"`
		Beacon  *struct {
			Update      bool    `json:"update"`
			Destination string  `json:"destination"`
			SNI         string  `json:"sni"`
			Period      float64 `json:"period"`
			Jitter      float64 `json:"jitter"`
			Count       int     `json:"count"`
			Clients     int     `json:"clients"`
		} `json:"beacon"`
	} `json:"tlsentry"`
}

const beaconSignature = 8100040

func main() {
	pairs := map[string]bool{}
	flows, alerts, first := 0, 0, 0
	var lines []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			fmt.Fprintln(os.Stderr, "beaconbenign:", err)
			os.Exit(1)
		}
		switch {
		case r.EventType == "flow":
			flows++
			pairs[fmt.Sprintf("%s>%s:%d", r.SrcIP, r.DestIP, r.DestPort)] = true
		case r.Alert != nil && r.Alert.SignatureID == beaconSignature && r.Sensor.Beacon != nil:
			b := r.Sensor.Beacon
			alerts++
			if !b.Update {
				first++
			}
			lines = append(lines, strings.Join([]string{r.SrcIP, b.Destination, b.SNI, fmt.Sprintf("%.2fs", b.Period),
				fmt.Sprintf("%.0f%%", 100*b.Jitter), fmt.Sprint(b.Count), fmt.Sprint(b.Clients), fmt.Sprintf("%.2f", r.Sensor.Score),
				r.Sensor.Finding}, "\t"))
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "beaconbenign:", err)
		os.Exit(1)
	}
	fmt.Printf("pairs=%d flows=%d beacon_alerts=%d first=%d updates=%d\n", len(pairs), flows, alerts, first, alerts-first)
	for _, l := range lines {
		fmt.Println(l)
	}
}
