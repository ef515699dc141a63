;;; splice.el --- Live patching of running Python programs, through eglot  -*- lexical-binding: t; -*-

;; Copyright (C) the splice developers
;; SPDX-License-Identifier: MIT

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: languages, tools, python
;; URL: https://github.com/splice-dev/splice

;;; Commentary:

;; Save a Python file and the programs running it change: `splice lsp' is a
;; language server, and eglot is the client.  This file only wires the two
;; together; everything splice does is decided by the server, so it works
;; as in every other editor (see docs/editors/emacs.md).
;;
;;   (with-eval-after-load 'eglot
;;     (require 'splice)
;;     (splice-eglot-setup))
;;   (add-hook 'python-mode-hook #'eglot-ensure)
;;
;; `splice-eglot-setup' registers the server for Python buffers in
;; `eglot-server-programs' and puts the server's status ("splice: 1 kernel,
;; patched 1 in 4.1 ms") in the mode line.  Settings go through
;; `eglot-workspace-configuration' (a .dir-locals.el) or `splice-settings'.
;; Loading this file changes nothing by itself.

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)
(require 'subr-x)

(defgroup splice nil
  "Live patching of running Python programs."
  :group 'tools
  :prefix "splice-")

(defcustom splice-server-command '("splice" "lsp")
  "The command that starts the splice language server.
For a server in its own virtualenv:
  (\"~/.local/share/splice-venv/bin/splice\" \"lsp\")."
  :type '(repeat string))

(defcustom splice-python-modes '(python-mode python-ts-mode)
  "The major modes whose buffers eglot connects to splice."
  :type '(repeat symbol))

(defcustom splice-settings nil
  "Settings sent as the server's initializationOptions: a plist in camelCase.
For example (:autoAttach \"file\" :showNotifications \"always\"); false is
:json-false.  `eglot-workspace-configuration' (section :splice) is read
after these and wins.  See docs/settings.md for every setting."
  :type 'plist)

(defvar splice--statuses (make-hash-table :test #'eq :weakness 'key)
  "The last `splice/status' of each eglot server, as a plist.")

(defvar splice-status-functions nil
  "Functions called with the server and the plist of each `splice/status'.")

;;; The server's notification

(cl-defmethod eglot-handle-notification
  (server (_method (eql splice/status)) &rest params)
  "Keep PARAMS, the server's `splice/status', for the mode line."
  (puthash server params splice--statuses)
  (run-hook-with-args 'splice-status-functions server params)
  (force-mode-line-update t))

(defun splice-status (&optional server)
  "The last `splice/status' plist of SERVER (default: this buffer's), or nil."
  (when-let ((server (or server (eglot-current-server))))
    (gethash server splice--statuses)))

(defun splice--attached (status)
  (cl-remove-if-not (lambda (kernel) (eq (plist-get kernel :attached) t))
                    (append (plist-get status :kernels) nil)))

(defun splice--plural (count noun)
  (format "%d %s%s" count noun (if (= count 1) "" "s")))

(defun splice--processes (count)
  (format "%d %s" count (if (= count 1) "process" "processes")))

(defun splice--duration (milliseconds)
  "MILLISECONDS as the other clients say them: \"1.8 ms\" below 10, \"12 ms\" above."
  (let ((shown (if (< milliseconds 10)
                   (/ (round (* milliseconds 10)) 10.0)
                 (round milliseconds))))
    (if (= shown (round shown))
        (format "%d ms" (round shown))
      (format "%s ms" shown))))

(defun splice--describe-kernels (status)
  (let* ((attached (length (splice--attached status)))
         (programs (append (plist-get status :programs) nil)))
    (cond ((= attached 0) "splice: no kernel")
          ((cl-every (lambda (program) (= (plist-get program :processes) 1)) programs)
           (concat "splice: " (splice--plural attached "kernel")))
          ((= (length programs) 1)
           (format "splice: %s (%s)"
                   (let ((name (plist-get (car programs) :program)))
                     (if (and (stringp name) (not (string-empty-p name))) name "python"))
                   (splice--processes (plist-get (car programs) :processes))))
          (t (format "splice: %s (%s)"
                     (splice--plural (length programs) "program")
                     (splice--processes attached))))))

(defun splice--describe-patch (patch)
  (let ((duration (splice--duration (or (plist-get patch :durationMs) 0)))
        (patched (plist-get patch :patched)))
    (cond ((not (eq (plist-get patch :ok) t)) (format "refused (%s)" duration))
          ((not (numberp patched)) (format "patched in %s" duration))
          ((= patched 0) (format "nothing to patch (%s)" duration))
          (t (format "patched %d in %s" patched duration)))))

(defun splice-status-text (&optional status)
  "The mode line's text for STATUS (default: this buffer's server's), or nil."
  (when-let ((status (or status (splice-status))))
    (if (not (eq (plist-get status :ready) t))
        "splice: starting"
      (let ((text (splice--describe-kernels status))
            (patch (plist-get status :lastPatch)))
        (if patch (concat text ", " (splice--describe-patch patch)) text)))))

(defun splice--mode-line ()
  "The mode line segment: the status, in the warning face after a refused patch."
  (when-let ((status (splice-status))
             (text (splice-status-text status)))
    (let ((patch (plist-get status :lastPatch)))
      (concat " " (if (and patch (not (eq (plist-get patch :ok) t)))
                      (propertize text 'face 'warning)
                    text)))))

(defconst splice--mode-line-entry '(:eval (splice--mode-line))
  "What `splice-eglot-setup' adds to `mode-line-misc-info'.")

;;; Connecting

(defun splice--initialization-options (_server)
  (or splice-settings (make-hash-table)))

(defun splice--contact (&optional _interactive)
  "The eglot contact: the command, and `splice-settings' as initializationOptions."
  (append splice-server-command
          (list :initializationOptions #'splice--initialization-options)))

;;;###autoload
(defun splice-eglot-setup ()
  "Use splice as eglot's server for `splice-python-modes', and show its status."
  (add-to-list 'eglot-server-programs (cons splice-python-modes #'splice--contact))
  (add-to-list 'mode-line-misc-info splice--mode-line-entry))

;;; Commands

(defun splice--server ()
  (or (eglot-current-server)
      (user-error "splice: eglot does not manage this buffer (M-x eglot)")))

(defun splice--uri ()
  (let ((file (or (buffer-file-name) (user-error "splice: this buffer has no file"))))
    (if (fboundp 'eglot-path-to-uri)
        (funcall 'eglot-path-to-uri file)
      (eglot--path-to-uri file))))

(defun splice-execute (command &rest arguments)
  "Run the server's COMMAND (\"splice.reloadFile\", ...) with ARGUMENTS; its result.
The buffer's unsent edits go first (the request is deferred, as eglot's own)."
  (jsonrpc-request (splice--server) :workspace/executeCommand
                   (list :command command :arguments (vconcat arguments))
                   :deferred :workspace/executeCommand))

(defun splice--report (result)
  "Echo the summary of a patch command's RESULT ({ok, summary})."
  (when-let ((summary (plist-get result :summary)))
    (message "splice: %s" summary))
  result)

(defun splice-reload-definition ()
  "Patch the function or class at point from this buffer's text, saved or not."
  (interactive)
  (let ((position (eglot--pos-to-lsp-position)))
    (splice--report (splice-execute "splice.reloadDefinition" (splice--uri)
                                    (plist-get position :line)
                                    (plist-get position :character)))))

(defun splice-reload-file ()
  "Patch the whole file from this buffer's text, as a save would, without saving."
  (interactive)
  (splice--report (splice-execute "splice.reloadFile" (splice--uri))))

(defun splice-undo-patch ()
  "Every program running this file goes back to the text before its last patch."
  (interactive)
  (splice--report (splice-execute "splice.undoPatch" (splice--uri))))

(defun splice-evaluate (start end)
  "Evaluate the region from START to END, or the statement at point.
It runs in the program that runs this file.  The value (or the
exception) is echoed; what it printed goes to *splice output*."
  (interactive (if (use-region-p)
                   (list (region-beginning) (region-end))
                 (list (point) (point))))
  (let ((from (eglot--pos-to-lsp-position start))
        (to (eglot--pos-to-lsp-position end)))
    (splice--show-evaluation
     (splice-execute "splice.evaluate" (splice--uri)
                     (plist-get from :line) (plist-get from :character)
                     (plist-get to :line) (plist-get to :character)))))

(defun splice--show-evaluation (result)
  "Echo the value in RESULT, a splice.evaluate answer.
What the code printed goes to the *splice output* buffer."
  (let ((output (plist-get result :output)))
    (when (and (stringp output) (not (string-empty-p output)))
      (with-current-buffer (get-buffer-create "*splice output*")
        (goto-char (point-max))
        (insert output))))
  (message "splice: %s ⇒ %s"
           (or (plist-get result :kernel) "no kernel")
           (if (eq (plist-get result :ok) t)
               (plist-get result :inline)
             (or (plist-get result :error) (plist-get result :inline))))
  result)

;; The "Evaluate in kernel" code action names a command of the editor's own
;; (the server cannot show a result inline): this is Emacs's.
(cl-defmethod eglot-execute-command
  (_server (_command (eql splice.evaluateInKernel)) arguments)
  "Evaluate what the code action's ARGUMENTS (uri and range) name, and echo it."
  (splice--show-evaluation
   (apply #'splice-execute "splice.evaluate" (append arguments nil))))

(defun splice--describe-kernel (kernel)
  (format "pid %d: %s (%s)%s" (plist-get kernel :pid)
          (or (plist-get kernel :program) "python") (plist-get kernel :cwd)
          (if (eq (plist-get kernel :attached) t) ", attached" "")))

(defun splice--read-kernel (prompt kernels)
  (let* ((choices (mapcar (lambda (kernel) (cons (splice--describe-kernel kernel) kernel))
                          kernels)))
    (unless choices (user-error "splice: no kernel to choose from"))
    (cdr (assoc (completing-read prompt choices nil t) choices))))

(defun splice-attach ()
  "Attach to a live kernel on this machine, chosen from the server's list."
  (interactive)
  (let ((kernel (splice--read-kernel "Attach to kernel: "
                                     (append (splice-execute "splice.listKernels") nil))))
    (splice-execute "splice.attach" (plist-get kernel :pid))))

(defun splice-detach ()
  "Detach from an attached kernel; the program keeps running, unpatched."
  (interactive)
  (let ((kernel (splice--read-kernel "Detach from kernel: "
                                     (splice--attached (splice-status)))))
    (splice-execute "splice.detach" (plist-get kernel :pid))))

(defun splice-show-status ()
  "Echo the status, the attached kernels and the last patch's summary."
  (interactive)
  (let* ((status (or (splice-status) (user-error "splice: no status from the server yet")))
         (patch (plist-get status :lastPatch)))
    (message "%s\n%s%s" (splice-status-text status)
             (mapconcat #'splice--describe-kernel (splice--attached status) "\n")
             (if patch (concat "\nlast patch: " (plist-get patch :summary)) ""))))

(provide 'splice)
;;; splice.el ends here
