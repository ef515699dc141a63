;;; patch.el --- tests/editors/test_emacs.py's session in a real headless Emacs  -*- lexical-binding: t; -*-

;; Opens the file a running `splice run' program runs, connects eglot the way
;; docs/editors/emacs.md says (splice-eglot-setup, eglot-ensure), saves an
;; edit, then a refused one, and runs a code action.  Each step waits for what
;; the server sends; lines "splice-test: KEY: VALUE" on stdout are for pytest,
;; which asks the program itself what changed.  Batch mode runs no command
;; loop and no idle timers: waiting is `accept-process-output' in a loop, and
;; what the loop would do (post-command-hook, flymake's start) is done here.

(require 'splice)

(defvar splice-test-python (getenv "SPLICE_TEST_PYTHON"))
(defvar splice-test-file (getenv "SPLICE_TEST_FILE"))

(defun splice-test-say (key format-string &rest arguments)
  (princ (format "splice-test: %s: %s\n" key (apply #'format format-string arguments))))

(defun splice-test-fail (format-string &rest arguments)
  (splice-test-say "failed" "%s" (apply #'format format-string arguments))
  (when-let ((server (ignore-errors (eglot-current-server))))
    (with-current-buffer (jsonrpc-events-buffer server)
      (princ (buffer-substring-no-properties
              (max (point-min) (- (point-max) 6000)) (point-max)))))
  (kill-emacs 1))

(defun splice-test-wait (what predicate &optional seconds)
  "Wait for PREDICATE to return non-nil (WHAT says what for); return its value."
  (let ((deadline (+ (float-time) (or seconds 40)))
        value)
    (while (not (setq value (funcall predicate)))
      (when (> (float-time) deadline)
        (splice-test-fail "timed out after %ss waiting for %s; status: %S"
                          (or seconds 40) what (ignore-errors (splice-status))))
      (accept-process-output nil 0.05))
    value))

(defun splice-test-mode-line ()
  "What the mode line shows; batch Emacs formats no mode line, so the entry is evaluated."
  (unless (member splice--mode-line-entry mode-line-misc-info)
    (splice-test-fail "splice-eglot-setup did not add the status to mode-line-misc-info"))
  (string-trim (eval (cadr splice--mode-line-entry) t)))

(defun splice-test-replace (old new)
  (goto-char (point-min))
  (unless (search-forward old nil t)
    (splice-test-fail "%s has no %S" (buffer-file-name) old))
  (replace-match new t t))

(defun splice-test-save (what predicate)
  "Save, then wait for a `splice/status' whose lastPatch satisfies PREDICATE."
  (let ((before (plist-get (splice-status) :lastPatch)))
    (save-buffer)
    (splice-test-wait what (lambda ()
                             (let ((patch (plist-get (splice-status) :lastPatch)))
                               (and patch (not (eq patch before)) (funcall predicate patch)
                                    patch))))))

(condition-case failure
    (progn
      (setq splice-server-command (list splice-test-python "-m" "splice" "lsp"))
      (with-eval-after-load 'eglot (splice-eglot-setup))
      (add-hook 'python-mode-hook #'eglot-ensure)
      (find-file splice-test-file)
      (splice-test-say "mode" "%s" major-mode)
      ;; What the command loop would do after the file opened.
      (run-hooks 'post-command-hook)
      (splice-test-wait "eglot to manage the buffer" (lambda () (eglot-current-server)))
      ;; flymake starts on the next command; its first run hands eglot its report function.
      (flymake-start)
      (let ((status (splice-test-wait
                     "the kernel to be attached"
                     (lambda () (let ((status (splice-status)))
                                  (and (splice--attached status) status))))))
        (splice-test-say "attached" "%s" (splice-status-text status)))

      (splice-test-replace "return \"hello \" + name" "return \"patched \" + name")
      (let ((patch (splice-test-save "the save to be patched"
                                     (lambda (patch) (eq (plist-get patch :ok) t)))))
        (splice-test-say "patched" "%s" (plist-get patch :summary)))
      (splice-test-say "mode-line" "%s" (splice-test-mode-line))

      ;; Refused as a whole: the class's bases change, so greet's edit waits too.
      (splice-test-replace "class Shape:" "class Shape(Base):")
      (splice-test-replace "return \"patched \" + name" "return \"refused \" + name")
      (splice-test-save "the refusal" (lambda (patch) (eq (plist-get patch :ok) :json-false)))
      (let ((diagnostics (splice-test-wait "a diagnostic from the refusal"
                                           (lambda () (flymake-diagnostics)))))
        (dolist (diagnostic diagnostics)
          (splice-test-say "diagnostic" "%d %s %s"
                           (line-number-at-pos (flymake-diagnostic-beg diagnostic))
                           (flymake-diagnostic-type diagnostic)
                           (flymake-diagnostic-text diagnostic))))
      (splice-test-say "mode-line" "%s" (splice-test-mode-line))

      ;; The code actions on the refused line, as M-x eglot-code-actions asks for them.
      (goto-char (point-min))
      (search-forward "class Shape(Base):")
      (let* ((actions (eglot-code-actions (line-beginning-position) (line-end-position)))
             (why (cl-find-if (lambda (action)
                                (string-prefix-p "Why can't" (plist-get action :title)))
                              actions)))
        (dolist (action actions)
          (splice-test-say "action" "%s" (plist-get action :title)))
        (unless why (splice-test-fail "no \"Why can't\" code action"))
        ;; What picking it does (eglot--read-execute-code-action).
        (let ((command (plist-get why :command)))
          (splice-test-say "explained" "%s"
                           (car (split-string
                                 (eglot-execute-command (eglot-current-server)
                                                        (intern (plist-get command :command))
                                                        (plist-get command :arguments))
                                 "\n")))))
      ;; "Evaluate in kernel" on a selection: the editor's command, which splice.el provides.
      (goto-char (point-min))
      (search-forward "PRICES")
      (let* ((actions (eglot-code-actions (match-beginning 0) (match-end 0)))
             (evaluate (cl-find "Evaluate in kernel" actions
                                :key (lambda (action) (plist-get action :title)) :test #'equal))
             (command (plist-get evaluate :command)))
        (unless evaluate (splice-test-fail "no \"Evaluate in kernel\" code action"))
        (let ((result (eglot-execute-command (eglot-current-server)
                                             (intern (plist-get command :command))
                                             (plist-get command :arguments))))
          (splice-test-say "evaluated" "%s" (plist-get result :inline))))
      (splice-test-say "done" "ok")
      (kill-emacs 0))
  (error (splice-test-fail "%s" (error-message-string failure))))
