;;; eglot-session.el --- drive Emacs + Eglot with lsp/emacs/flaglint-eglot.el  -*- lexical-binding: t; -*-
;; Open a file, collect diagnostics and a hover, apply the removal code action, save.
;; Results go to $FLAGLINT_OUT as JSON. Batch Emacs never fires idle timers, so every wait
;; polls the process output explicitly, with a deadline.

(require 'json)
(require 'package)
(package-initialize)  ; Debian's elpa-eglot lives in the system package directory
(require 'cl-lib)

(defun flaglint-test--env (name)
  (or (getenv name) (error "%s is not set" name)))

(defun flaglint-test--wait (predicate what)
  (let ((deadline (+ (float-time) 30)))
    (while (not (funcall predicate))
      (when (> (float-time) deadline) (error "timed out waiting for %s" what))
      (accept-process-output nil 0.05))))

(defun flaglint-test--diagnostics ()
  "The flaglint diagnostics of the current buffer, from Flymake or from Eglot's store."
  (let ((diags (or (flymake-diagnostics) eglot--diagnostics)))
    (cl-loop for d in diags
             for lsp = (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d)))
             for start = (plist-get (plist-get lsp :range) :start)
             collect `((line . ,(1+ (plist-get start :line)))
                       (column . ,(1+ (plist-get start :character)))
                       (code . ,(plist-get lsp :code))
                       (message . ,(plist-get lsp :message))
                       (source . ,(plist-get lsp :source))))))

(defun flaglint-test--session ()
  (load (flaglint-test--env "FLAGLINT_SETUP"))
  (setq flaglint-eglot-command (append (json-read-from-string (flaglint-test--env "FLAGLINT_CMD")) nil))
  (setq eglot-sync-connect 30)
  (find-file (flaglint-test--env "FLAGLINT_FILE"))
  (apply #'eglot (eglot--guess-contact))
  (flaglint-test--wait (lambda () (flaglint-test--diagnostics)) "diagnostics")
  (let ((result `((diagnostics . ,(vconcat (flaglint-test--diagnostics))))))
    (goto-char (point-min))
    (forward-line (1- (string-to-number (flaglint-test--env "FLAGLINT_LINE"))))
    (forward-char (1- (string-to-number (flaglint-test--env "FLAGLINT_COLUMN"))))
    (let ((hover (jsonrpc-request (eglot--current-server-or-lose) :textDocument/hover
                                  (eglot--TextDocumentPositionParams))))
      (push `(hover . ,(plist-get (plist-get hover :contents) :value)) result))
    (let* ((actions (eglot-code-actions (line-beginning-position) (line-end-position)))
           (wanted (flaglint-test--env "FLAGLINT_ACTION"))
           (chosen (cl-find wanted actions :key (lambda (a) (plist-get a :title)) :test #'equal)))
      (push `(actions . ,(vconcat (mapcar (lambda (a) (plist-get a :title)) actions))) result)
      (unless chosen (error "the removal action was not offered"))
      (unless (plist-get chosen :edit) (error "the removal action has no edit"))
      (eglot--apply-workspace-edit (plist-get chosen :edit)))
    (save-buffer)
    (flaglint-test--wait
     (lambda () (not (cl-find "FL003" (flaglint-test--diagnostics) :key (lambda (d) (cdr (assq 'code d))) :test #'equal)))
     "diagnostics after the fix")
    (push `(after . ,(vconcat (flaglint-test--diagnostics))) result)
    (with-temp-file (flaglint-test--env "FLAGLINT_OUT")
      (insert (json-encode result)))))

(condition-case err
    (progn (flaglint-test--session) (kill-emacs 0))
  (error (princ (format "eglot session failed: %S\n" err) #'external-debugging-output)
         (kill-emacs 1)))
