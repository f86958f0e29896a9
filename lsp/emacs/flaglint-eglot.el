;;; flaglint-eglot.el --- flaglint's language server in Eglot  -*- lexical-binding: t; -*-

;; Flag-debt diagnostics, hovers and removal quick fixes in Python buffers, through Eglot
;; (built into Emacs 29; the elpa-eglot package on Emacs 28).
;;
;;   (load "/path/to/flaglint/lsp/emacs/flaglint-eglot.el")
;;   (add-hook 'python-mode-hook #'eglot-ensure)
;;
;; Eglot runs one server per major mode and project: this makes flaglint that server for Python.
;; A project is the folder of the nearest pyproject.toml with a [tool.flaglint] table (before
;; project.el's own guess), so flaglint sees the same project as `flaglint check'.

;;; Code:

(require 'eglot)
(require 'project)

(defgroup flaglint nil
  "Feature-flag debt in the editor."
  :group 'tools)

(defcustom flaglint-eglot-command '("flaglint" "lsp")
  "The command that starts flaglint's language server."
  :type '(repeat string)
  :group 'flaglint)

(defun flaglint-eglot--contact (&optional _interactive)
  "The server command for Eglot."
  flaglint-eglot-command)

(defun flaglint-eglot--has-table (folder)
  "Whether FOLDER holds a pyproject.toml with a [tool.flaglint] table."
  (let ((file (expand-file-name "pyproject.toml" folder)))
    (and (file-readable-p file)
         (with-temp-buffer
           (insert-file-contents file)
           (re-search-forward "^\\[tool\\.flaglint[].]" nil t)))))

(defun flaglint-eglot-project (dir)
  "The flaglint project holding DIR, as a project.el transient project, or nil."
  (let ((root (locate-dominating-file dir #'flaglint-eglot--has-table)))
    (and root (cons 'transient (file-name-as-directory (expand-file-name root))))))

(add-hook 'project-find-functions #'flaglint-eglot-project)
(add-to-list 'eglot-server-programs '((python-mode python-ts-mode) . flaglint-eglot--contact))

(provide 'flaglint-eglot)
;;; flaglint-eglot.el ends here
