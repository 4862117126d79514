package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"

	"filippo.io/age"
)

// Why an attachment's content is not given (OpenContent).
var (
	// ErrContentClosed: the file's manifest was not opened (File.Problem
	// is not NoProblem), so there is no key to read it with.
	ErrContentClosed = errors.New("this file's manifest is not one of this case's, or not encrypted to you")
	// ErrContentBroken: the content does not decrypt with the key in its
	// manifest.
	ErrContentBroken = errors.New("the file's content does not decrypt with the key in its manifest")
	// ErrContentMismatch: the content's size or SHA-256 is not the
	// manifest's. It comes at the end of the stream: whatever was
	// written of it is to be thrown away.
	ErrContentMismatch = errors.New("the file's content does not match its manifest")
)

// OpenContent streams attachment f of case ref (opened by OpenFiles)
// from the server and decrypts it with the key sealed in its manifest,
// never a key the server names. It reads at most the manifest's size, and
// the last Read returns ErrContentMismatch instead of io.EOF when the
// content's size or SHA-256 is not the manifest's: a face that writes as
// it reads throws away what it wrote then (casectl removes the file, the
// console cuts the download short). Memory use does not depend on the
// file's size. hc, if not nil, is the HTTP client for this long
// download. The caller closes the reader.
func (d Desk) OpenContent(ctx context.Context, ref string, f File, hc *http.Client) (io.ReadCloser, error) {
	if f.Problem != NoProblem {
		return nil, ErrContentClosed
	}
	key, err := age.ParseX25519Identity(f.Manifest.Key)
	if err != nil {
		return nil, ErrContentBroken
	}
	body, err := d.API.AttachmentContent(ctx, ref, f.ID, hc)
	if err != nil {
		return nil, err
	}
	plain, err := age.Decrypt(body, key)
	if err != nil {
		body.Close()
		return nil, ErrContentBroken
	}
	return &content{r: io.LimitReader(plain, f.Manifest.Size), body: body, sum: sha256.New(), size: f.Manifest.Size, want: f.Manifest.SHA256}, nil
}

// content checks a file's content against its manifest as it is read.
type content struct {
	r    io.Reader
	body io.Closer
	sum  hash.Hash
	n    int64
	size int64
	want string
}

func (c *content) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.sum.Write(p[:n])
	c.n += int64(n)
	if errors.Is(err, io.EOF) && (c.n != c.size || hex.EncodeToString(c.sum.Sum(nil)) != c.want) {
		return n, ErrContentMismatch
	}
	return n, err
}

func (c *content) Close() error { return c.body.Close() }
