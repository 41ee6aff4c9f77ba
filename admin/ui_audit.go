package admin

import (
	"net/http"
	"strconv"
)

// auditPerPage is the audit page's length.
const auditPerPage = 50

// auditPage is the data of audit.html.
type auditPage struct {
	Entries    []AuditEntry
	Page       int
	Pages      int
	Total      int
	Prev, Next int
}

// showAudit serves GET /audit?page=N, newest first.
func (a *Admin) showAudit(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	p, err := a.store.ListAudit(r.Context(), (n-1)*auditPerPage, auditPerPage)
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	page := auditPage{Entries: p.Entries, Page: n, Total: p.Total, Pages: max(1, (p.Total+auditPerPage-1)/auditPerPage)}
	if n > 1 {
		page.Prev = n - 1
	}
	if n < page.Pages {
		page.Next = n + 1
	}
	a.render(w, r, http.StatusOK, "audit.html", page)
}
