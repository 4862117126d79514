package console

// Test hooks.

// CaseBuffers returns the decrypted buffers a case owns.
func CaseBuffers(c *Case) (plain, text []byte) { return c.plain, c.text }

// FormToken returns the console's form token, as its pages carry it.
func FormToken(c *Console) string { c.mu.Lock(); defer c.mu.Unlock(); return c.csrf }
