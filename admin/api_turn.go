package admin

import "net/http"

// apiTURNCredentials is the reply of POST /turn/credentials, in the shape of
// the TURN REST API draft (draft-uberti-behave-turn-rest): ttl in seconds.
type apiTURNCredentials struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	TTL      int64    `json:"ttl"`
	URIs     []string `json:"uris"`
}

// apiTURNCredentials serves POST /turn/credentials. It is a POST although it
// changes nothing, because every call mints a new secret that must not be cached.
func (a *Admin) apiTURNCredentials(w http.ResponseWriter, r *http.Request) {
	user, pass, ttl, uris := a.cfg.TURNCredentials(tokenActor(r.Context()))
	if uris == nil {
		uris = []string{}
	}
	a.writeJSON(w, r, http.StatusOK, apiTURNCredentials{Username: user, Password: pass,
		TTL: int64(ttl.Seconds()), URIs: uris})
}
