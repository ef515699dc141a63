;;; status.el --- splice.el's mode line text, as the VS Code and Neovim clients word it  -*- lexical-binding: t; -*-

;; Run by tests/editors/test_emacs.py with ert-run-tests-batch-and-exit.  The
;; statuses are plists as jsonrpc.el reads `splice/status' (arrays are vectors,
;; false is :json-false).

(require 'ert)
(require 'splice)

(defun splice-test-kernel (pid &optional detached)
  (list :pid pid :program "app.py" :cwd "/work" :attached (if detached :json-false t)))

(defun splice-test-status (&rest overrides)
  (append overrides (list :ready t :kernels [] :lastPatch nil :message "")))

(defun splice-test-patch (&rest overrides)
  (append overrides
          (list :uri "file:///work/app.py" :ok t :summary "patched app.py: f changed in 1.8 ms"
                :durationMs 1.8 :patched 1 :changed ["f"] :kernels [])))

(ert-deftest splice-status-before-ready-says-starting ()
  (should (equal (splice-status-text (list :ready :json-false :kernels [])) "splice: starting")))

(ert-deftest splice-status-counts-only-attached-kernels ()
  (should (equal (splice-status-text
                  (splice-test-status :kernels (vector (splice-test-kernel 1) (splice-test-kernel 2)
                                                       (splice-test-kernel 3 t))))
                 "splice: 2 kernels"))
  (should (equal (splice-status-text
                  (splice-test-status :kernels (vector (splice-test-kernel 3 t))))
                 "splice: no kernel")))

(ert-deftest splice-status-shows-the-patched-count-and-duration ()
  (should (equal (splice-status-text
                  (splice-test-status :kernels (vector (splice-test-kernel 1) (splice-test-kernel 2))
                                      :lastPatch (splice-test-patch :patched 3 :durationMs 4.2)))
                 "splice: 2 kernels, patched 3 in 4.2 ms")))

(ert-deftest splice-status-durations-are-rounded-as-the-other-clients-round-them ()
  (should (equal (splice--duration 2) "2 ms"))
  (should (equal (splice--duration 1.84) "1.8 ms"))
  (should (equal (splice--duration 12.4) "12 ms")))

(ert-deftest splice-status-nothing-to-patch ()
  (should (equal (splice-status-text
                  (splice-test-status :kernels (vector (splice-test-kernel 1))
                                      :lastPatch (splice-test-patch :patched 0 :durationMs 12.4)))
                 "splice: 1 kernel, nothing to patch (12 ms)")))

(ert-deftest splice-status-refused-patch-in-the-warning-face ()
  (let ((status (splice-test-status :kernels (vector (splice-test-kernel 1))
                                    :lastPatch (splice-test-patch :ok :json-false :durationMs 2))))
    (should (equal (splice-status-text status) "splice: 1 kernel, refused (2 ms)"))
    (cl-letf (((symbol-function 'splice-status) (lambda (&optional _server) status)))
      (should (eq (get-text-property 1 'face (splice--mode-line)) 'warning)))))

(ert-deftest splice-status-one-program-of-several-processes ()
  (should (equal (splice-status-text
                  (splice-test-status
                   :kernels (vector (splice-test-kernel 1) (splice-test-kernel 2) (splice-test-kernel 3))
                   :programs (vector (list :rootPid 1 :program "-m gunicorn" :processes 3
                                           :pids [1 2 3]))))
                 "splice: -m gunicorn (3 processes)")))

(ert-deftest splice-status-several-programs ()
  (should (equal (splice-status-text
                  (splice-test-status
                   :kernels (vector (splice-test-kernel 1) (splice-test-kernel 2) (splice-test-kernel 3))
                   :programs (vector (list :rootPid 1 :program "app.py" :processes 2 :pids [1 2])
                                     (list :rootPid 3 :program "job.py" :processes 1 :pids [3]))))
                 "splice: 2 programs (3 processes)")))

(ert-deftest splice-setup-registers-the-server-and-the-mode-line ()
  (let ((eglot-server-programs nil)
        (mode-line-misc-info nil)
        (splice-server-command '("splice-server" "lsp"))
        (splice-settings '(:autoAttach "file")))
    (splice-eglot-setup)
    (splice-eglot-setup)
    (should (equal (length eglot-server-programs) 1))
    (should (equal (caar eglot-server-programs) splice-python-modes))
    (let ((contact (funcall (cdar eglot-server-programs))))
      (should (equal (seq-take contact 2) '("splice-server" "lsp")))
      (should (equal (funcall (plist-get (nthcdr 2 contact) :initializationOptions) nil)
                     '(:autoAttach "file"))))
    (should (equal mode-line-misc-info (list splice--mode-line-entry)))))
