package crypto

import "strings"

// bech32Charset is the BIP-173 data alphabet.
const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32Encode encodes data under hrp as BIP-173 bech32, upper-casing the
// result when hrp is upper case (as age does for identities). age exposes no
// constructor for an X25519 identity from raw bytes, so a derived identity is
// encoded here and then parsed with age.ParseX25519Identity, which verifies
// the checksum again.
func bech32Encode(hrp string, data []byte) string {
	upper := strings.ToUpper(hrp) == hrp
	hrp = strings.ToLower(hrp)

	// Regroup 8-bit bytes into 5-bit values, padding the last group.
	var values []byte
	var acc uint32
	var bits uint
	for _, b := range data {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			values = append(values, byte(acc>>bits)&31)
		}
	}
	if bits > 0 {
		values = append(values, byte(acc<<(5-bits))&31)
	}

	// Checksum over the expanded HRP, the data and six zero values.
	var check []byte
	for i := 0; i < len(hrp); i++ {
		check = append(check, hrp[i]>>5)
	}
	check = append(check, 0)
	for i := 0; i < len(hrp); i++ {
		check = append(check, hrp[i]&31)
	}
	check = append(check, values...)
	check = append(check, 0, 0, 0, 0, 0, 0)
	mod := bech32Polymod(check) ^ 1

	var sb strings.Builder
	sb.WriteString(hrp)
	sb.WriteByte('1')
	for _, v := range values {
		sb.WriteByte(bech32Charset[v])
	}
	for i := 0; i < 6; i++ {
		sb.WriteByte(bech32Charset[(mod>>(5*(5-i)))&31])
	}
	if upper {
		return strings.ToUpper(sb.String())
	}
	return sb.String()
}

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}
