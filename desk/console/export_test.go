package console

// Test hooks.

// CaseText returns the decrypted search text a case owns.
func CaseText(c *Case) []byte { return c.text }

// FormToken returns the console's form token, as its pages carry it.
func FormToken(c *Console) string { c.mu.Lock(); defer c.mu.Unlock(); return c.csrf }

// ParseFilter reads an inbox filter from a query.
var ParseFilter = parseFilter

// SetBulkWorkers changes how many changes a bulk change sends at once
// (BenchmarkBulkClose compares them); it returns the previous number.
func SetBulkWorkers(n int) int { old := bulkWorkers; bulkWorkers = n; return old }
