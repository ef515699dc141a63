-- Shared by the test scripts run with `nvim --headless --clean -l SCRIPT`.
-- pytest passes everything through SPLICE_TEST_* variables and reads back the
-- JSON the script writes to SPLICE_TEST_RESULT; a failed assert exits 1.
local H = {}

H.notifications = {}
H.statuses = {}

function H.env(name)
  local value = os.getenv(name)
  assert(value and value ~= '', name .. ' is not set')
  return value
end

local started = vim.uv.hrtime()

--- Timestamped lines on stderr, which pytest shows when a test fails.
local function log(text)
  io.stderr:write(('[%6.0f ms] %s\n'):format((vim.uv.hrtime() - started) / 1e6, text))
end
H.log = log

--- Put the plugin on 'runtimepath' (as a plugin manager would) and record what it shows.
function H.load_plugin()
  vim.opt.runtimepath:prepend(H.env('SPLICE_TEST_PLUGIN'))
  vim.cmd.runtime('plugin/splice.lua')
  vim.notify = function(message, level)
    table.insert(H.notifications, { message = message, level = level })
    log('[notify ' .. tostring(level) .. '] ' .. message)
  end
  vim.api.nvim_create_autocmd('User', {
    pattern = 'SpliceStatus',
    callback = function(args)
      log('splice/status: ' .. tostring(args.data.status.message))
      table.insert(H.statuses, args.data.status)
    end,
  })
end

--- The server command for the test run: the venv interpreter running this pytest.
function H.server_cmd()
  return { H.env('SPLICE_TEST_PYTHON'), '-m', 'splice', 'lsp' }
end

--- load_plugin() and setup() with the test interpreter.
function H.setup(opts)
  H.load_plugin()
  require('splice').setup(vim.tbl_deep_extend('force', { python = H.env('SPLICE_TEST_PYTHON') }, opts or {}))
end

function H.wait(timeout_ms, predicate, what)
  if vim.wait(timeout_ms, predicate, 20) then
    return
  end
  error(
    ('timed out after %d ms waiting for %s\nstatuses: %s\nnotifications: %s'):format(
      timeout_ms,
      what,
      vim.inspect(H.statuses),
      vim.inspect(H.notifications)
    )
  )
end

function H.open(path)
  vim.cmd.edit(vim.fn.fnameescape(path))
  return vim.api.nvim_get_current_buf()
end

local function find_kernel(state, pid)
  for _, kernel in ipairs(state and state.kernels or {}) do
    if kernel.pid == pid then
      return kernel
    end
  end
end

--- Wait until the client of the current buffer reports kernel `pid` attached.
function H.wait_attached(pid, timeout_ms)
  local splice = require('splice')
  H.wait(timeout_ms or 20000, function()
    local state = splice.state()
    local kernel = state and state.ready and find_kernel(state, pid)
    return kernel ~= nil and kernel.attached ~= false
  end, ('kernel %d to be attached'):format(pid))
  return splice.state()
end

--- Run `action`, then wait for a splice/status whose lastPatch is new.
function H.expect_patch(action, timeout_ms)
  local seen = #H.statuses
  action()
  local found
  H.wait(timeout_ms or 20000, function()
    for index = seen + 1, #H.statuses do
      local last = H.statuses[index].lastPatch
      if type(last) == 'table' then
        found = last
        return true
      end
    end
    return false
  end, 'a splice/status reporting a patch')
  return found
end

--- 1-based number of the first buffer line containing `text` (plain match).
function H.find_line(text, bufnr)
  local lines = vim.api.nvim_buf_get_lines(bufnr or 0, 0, -1, false)
  for number, line in ipairs(lines) do
    if line:find(text, 1, true) then
      return number
    end
  end
  error('no line contains ' .. text)
end

--- Replace `old` by `new` in the first line that contains `old`; returns its 1-based number.
function H.replace(old, new, bufnr)
  local number = H.find_line(old, bufnr)
  local line = vim.api.nvim_buf_get_lines(bufnr or 0, number - 1, number, false)[1]
  local start = line:find(old, 1, true)
  local updated = line:sub(1, start - 1) .. new .. line:sub(start + #old)
  vim.api.nvim_buf_set_lines(bufnr or 0, number - 1, number, false, { updated })
  return number
end

--- Write `result` as JSON for pytest, then stop the clients so Neovim exits promptly.
function H.finish(result)
  log('finished')
  local file = assert(io.open(H.env('SPLICE_TEST_RESULT'), 'w'))
  file:write(vim.json.encode(result or vim.empty_dict()))
  file:close()
  local clients = vim.lsp.get_clients()
  for _, client in ipairs(clients) do
    client:stop()
  end
  vim.wait(3000, function()
    return #vim.lsp.get_clients() == 0
  end, 20)
  log('clients stopped')
end

return H
