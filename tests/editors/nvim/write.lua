-- :write after editing a function patches the running program.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

-- SPLICE_TEST_SHOW_NOTIFICATIONS: the server's showNotifications setting, when set.
local show = os.getenv('SPLICE_TEST_SHOW_NOTIFICATIONS')
H.setup(show and { settings = { showNotifications = show } } or nil)
H.open(H.env('SPLICE_TEST_FILE'))
H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))
H.replace('"hello "', '"hi "')
local patch = H.expect_patch(function()
  vim.cmd.write()
end)
H.finish({ patch = patch, statusline = require('splice').status(), notifications = H.notifications })
