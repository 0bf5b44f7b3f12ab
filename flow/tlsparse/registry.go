package tlsparse

// Names of the code points a ClientHello lists besides its cipher suites,
// for reasons an analyst reads ("supported group 0x11ec (X25519MLKEM768)"):
// the IANA TLS registries (ExtensionType Values, Supported Groups,
// SignatureScheme), the TLS 1.2 hash and signature pairs those schemes
// grew from, and the few values mainstream stacks send without a
// registration (Chrome's ALPS and Channel ID, NPN, QUIC's draft transport
// parameters). Each name function returns "" for a value it does not
// name; GREASE values (RFC 8701) are named "GREASE" by all three.

// ExtensionName is the extension type's name ("key_share"), or "".
func ExtensionName(t uint16) string { return registryName(extensionNames, t) }

// GroupName is the supported group's name ("x25519"), or "".
func GroupName(g uint16) string {
	switch {
	case g >= 0x01fc && g <= 0x01ff:
		return "ffdhe_private_use"
	case g >= 0xfe00 && g <= 0xfeff:
		return "ecdhe_private_use"
	}
	return registryName(groupNames, g)
}

// SignatureSchemeName is the signature scheme's name
// ("rsa_pss_rsae_sha256"), for TLS 1.2 pairs outside the scheme registry
// their signature and hash ("dsa_sha256"), or "".
func SignatureSchemeName(s uint16) string {
	if n := registryName(signatureSchemeNames, s); n != "" {
		return n
	}
	if s >= 0xfe00 {
		return "private_use"
	}
	// RFC 5246's SignatureAndHashAlgorithm: hash byte, then signature byte.
	hash, sig := s>>8, s&0xff
	if hash >= 1 && hash <= 6 && sig >= 1 && sig <= 3 {
		return [...]string{"rsa", "dsa", "ecdsa"}[sig-1] + "_" + [...]string{"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}[hash-1]
	}
	return ""
}

func registryName(names map[uint16]string, v uint16) string {
	if IsGREASE(v) {
		return "GREASE"
	}
	return names[v]
}

var extensionNames = map[uint16]string{
	0: "server_name", 1: "max_fragment_length", 2: "client_certificate_url", 3: "trusted_ca_keys",
	4: "truncated_hmac", 5: "status_request", 6: "user_mapping", 7: "client_authz", 8: "server_authz",
	9: "cert_type", 10: "supported_groups", 11: "ec_point_formats", 12: "srp", 13: "signature_algorithms",
	14: "use_srtp", 15: "heartbeat", 16: "application_layer_protocol_negotiation", 17: "status_request_v2",
	18: "signed_certificate_timestamp", 19: "client_certificate_type", 20: "server_certificate_type",
	21: "padding", 22: "encrypt_then_mac", 23: "extended_master_secret", 24: "token_binding",
	25: "cached_info", 26: "tls_lts", 27: "compress_certificate", 28: "record_size_limit",
	29: "pwd_protect", 30: "pwd_clear", 31: "password_salt", 32: "ticket_pinning",
	33: "tls_cert_with_extern_psk", 34: "delegated_credential", 35: "session_ticket", 36: "TLMSP",
	37: "TLMSP_proxying", 38: "TLMSP_delegate", 39: "supported_ekt_ciphers",
	40: "key_share of TLS 1.3 drafts (reserved)", 41: "pre_shared_key", 42: "early_data",
	43: "supported_versions", 44: "cookie", 45: "psk_key_exchange_modes",
	46: "ticket_early_data_info of TLS 1.3 drafts (reserved)", 47: "certificate_authorities",
	48: "oid_filters", 49: "post_handshake_auth", 50: "signature_algorithms_cert", 51: "key_share",
	52: "transparency_info", 53: "connection_id (deprecated)", 54: "connection_id",
	55: "external_id_hash", 56: "external_session_id", 57: "quic_transport_parameters",
	58: "ticket_request", 59: "dnssec_chain",
	0x3374: "next_protocol_negotiation (NPN, unregistered)",
	0x4469: "application_settings (ALPS, Chrome's first codepoint, unregistered)",
	0x44cd: "application_settings (ALPS, unregistered)",
	0x754f: "channel_id (old codepoint, unregistered)", 0x7550: "channel_id (unregistered)",
	0xfd00: "ech_outer_extensions", 0xfe0d: "encrypted_client_hello", 0xff01: "renegotiation_info",
	0xffa5: "quic_transport_parameters (QUIC drafts)", 0xffce: "encrypted_server_name (ESNI draft)",
}

var groupNames = map[uint16]string{
	1: "sect163k1", 2: "sect163r1", 3: "sect163r2", 4: "sect193r1", 5: "sect193r2", 6: "sect233k1",
	7: "sect233r1", 8: "sect239k1", 9: "sect283k1", 10: "sect283r1", 11: "sect409k1", 12: "sect409r1",
	13: "sect571k1", 14: "sect571r1", 15: "secp160k1", 16: "secp160r1", 17: "secp160r2",
	18: "secp192k1", 19: "secp192r1", 20: "secp224k1", 21: "secp224r1", 22: "secp256k1",
	23: "secp256r1", 24: "secp384r1", 25: "secp521r1", 26: "brainpoolP256r1", 27: "brainpoolP384r1",
	28: "brainpoolP512r1", 29: "x25519", 30: "x448", 31: "brainpoolP256r1tls13",
	32: "brainpoolP384r1tls13", 33: "brainpoolP512r1tls13", 34: "GC256A", 35: "GC256B", 36: "GC256C",
	37: "GC256D", 38: "GC512A", 39: "GC512B", 40: "GC512C", 41: "curveSM2",
	256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096", 259: "ffdhe6144", 260: "ffdhe8192",
	512: "MLKEM512", 513: "MLKEM768", 514: "MLKEM1024",
	4587: "SecP256r1MLKEM768", 4588: "X25519MLKEM768", 4589: "SecP384r1MLKEM1024",
	25497: "X25519Kyber768Draft00", 25498: "SecP256r1Kyber768Draft00",
	65281: "arbitrary_explicit_prime_curves", 65282: "arbitrary_explicit_char2_curves",
}

var signatureSchemeNames = map[uint16]string{
	0x0201: "rsa_pkcs1_sha1", 0x0203: "ecdsa_sha1",
	0x0401: "rsa_pkcs1_sha256", 0x0403: "ecdsa_secp256r1_sha256", 0x0420: "rsa_pkcs1_sha256_legacy",
	0x0501: "rsa_pkcs1_sha384", 0x0503: "ecdsa_secp384r1_sha384", 0x0520: "rsa_pkcs1_sha384_legacy",
	0x0601: "rsa_pkcs1_sha512", 0x0603: "ecdsa_secp521r1_sha512", 0x0620: "rsa_pkcs1_sha512_legacy",
	0x0704: "eccsi_sha256", 0x0705: "iso_ibs1", 0x0706: "iso_ibs2", 0x0707: "iso_chinese_ibs",
	0x0708: "sm2sig_sm3", 0x0709: "gostr34102012_256a", 0x070a: "gostr34102012_256b",
	0x070b: "gostr34102012_256c", 0x070c: "gostr34102012_256d", 0x070d: "gostr34102012_512a",
	0x070e: "gostr34102012_512b", 0x070f: "gostr34102012_512c",
	0x0804: "rsa_pss_rsae_sha256", 0x0805: "rsa_pss_rsae_sha384", 0x0806: "rsa_pss_rsae_sha512",
	0x0807: "ed25519", 0x0808: "ed448", 0x0809: "rsa_pss_pss_sha256", 0x080a: "rsa_pss_pss_sha384",
	0x080b: "rsa_pss_pss_sha512", 0x081a: "ecdsa_brainpoolP256r1tls13_sha256",
	0x081b: "ecdsa_brainpoolP384r1tls13_sha384", 0x081c: "ecdsa_brainpoolP512r1tls13_sha512",
	0x0840: "gostr34102012_256 (TLS 1.2)", 0x0841: "gostr34102012_512 (TLS 1.2)",
	0x0904: "mldsa44", 0x0905: "mldsa65", 0x0906: "mldsa87",
}
