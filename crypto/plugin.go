package crypto

import (
	"errors"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

// PluginError is an age plugin's failure to decrypt (a hardware key not
// plugged in, its PIN refused, the plugin not installed), told apart from
// a file that is damaged or not encrypted to the identity, so the handler
// is told what to do. Its text is the plugin's own, from the handler's
// own machine.
type PluginError struct{ Err error }

func (e *PluginError) Error() string {
	return "your hardware key's age plugin could not decrypt (" + e.Err.Error() + ")"
}

func (e *PluginError) Unwrap() error { return e.Err }

// markPlugins returns ids with each plugin identity's failures (other
// than "not this identity") marked as PluginError.
func markPlugins(ids []age.Identity) []age.Identity {
	out := make([]age.Identity, len(ids))
	for i, id := range ids {
		if _, ok := Native(id).(*plugin.Identity); ok {
			out[i] = pluginMarked{id}
		} else {
			out[i] = id
		}
	}
	return out
}

type pluginMarked struct{ id age.Identity }

func (p pluginMarked) Unwrap(s []*age.Stanza) ([]byte, error) {
	k, err := p.id.Unwrap(s)
	if err != nil && !errors.Is(err, age.ErrIncorrectIdentity) {
		return nil, &PluginError{err}
	}
	return k, err
}
