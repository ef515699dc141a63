--- splice.nvim: live patching of running Python programs through the splice language server.
---
--- The plugin stays thin: everything that decides what to patch lives in the
--- server, so this module only starts the client, runs its commands and shows
--- its status.
local config = require('splice.config')

local M = {}

--- The server's splice/status params (docs/lsp.md). The plugin reads the
--- structured fields; `summary` and `message` are for people, shown as sent.
---@class splice.Status
---@field ready boolean
---@field kernels splice.KernelStatus[]
---@field lastPatch splice.PatchStatus|vim.NIL|nil
---@field message string

---@class splice.KernelStatus
---@field pid integer
---@field program string|vim.NIL
---@field cwd string
---@field attached boolean

---@class splice.PatchStatus
---@field uri string
---@field ok boolean
---@field summary string
---@field durationMs number
---@field patched integer
---@field changed string[]
---@field added string[]
---@field deleted string[]
---@field rebound string[]
---@field statementsSkipped integer[]
---@field warnings integer
---@field errors integer
---@field kernels { pid: integer, program: string, ok: boolean, summary: string, error: string|vim.NIL }[]

--- Latest splice/status params per client id.
---@type table<integer, splice.Status>
local statuses = {}

--- Buffers showing live markers, per client id.
local marker_buffers = {}

local has_011 = vim.fn.has('nvim-0.11') == 1

--- Configure splice and start it for Python buffers.
---@param opts splice.SetupOptions|nil see :help splice-options
function M.setup(opts)
  local problems = config.set(opts)
  if #problems > 0 then
    vim.notify('splice: ' .. table.concat(problems, '\n'), vim.log.levels.WARN, { title = 'splice' })
  end
  local lsp_config = config.lsp_config()
  if has_011 then
    vim.lsp.config('splice', lsp_config)
    vim.lsp.enable('splice')
    return
  end
  M._start_on_filetype(lsp_config)
end

--- Neovim 0.10 has no vim.lsp.enable: start the client from a FileType autocmd.
---@param lsp_config vim.lsp.ClientConfig
function M._start_on_filetype(lsp_config)
  local function start(bufnr)
    if vim.bo[bufnr].buftype ~= '' then
      return
    end
    local start_config = vim.tbl_extend('force', lsp_config, {
      root_dir = config.root_dir(bufnr, config.options.root_markers),
    })
    start_config.filetypes = nil
    vim.lsp.start(start_config, { bufnr = bufnr })
  end
  local group = vim.api.nvim_create_augroup('splice', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = lsp_config.filetypes,
    callback = function(args)
      start(args.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if
      vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(lsp_config.filetypes, vim.bo[bufnr].filetype)
    then
      start(bufnr)
    end
  end
end

--- The running splice client for `bufnr` (default: current), else any running splice client.
---@param bufnr integer|nil
---@return vim.lsp.Client|nil
function M.client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local clients = vim.lsp.get_clients({ name = 'splice', bufnr = bufnr })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = 'splice' })
  end
  return clients[1]
end

--- Send a request; the colon form exists from 0.11 and the dot form is deprecated there.
---@param client vim.lsp.Client
---@param method string
---@param params table
---@param handler lsp.Handler|nil
---@param bufnr integer|nil
function M._request(client, method, params, handler, bufnr)
  if has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

--- Run a splice.* server command; `callback(err, result)` gets the response.
---@param command string
---@param arguments any[]
---@param callback fun(err: table|nil, result: any)|nil
---@param bufnr integer|nil
---@return boolean sent
function M.execute(command, arguments, callback, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    vim.notify(
      'splice: the language server is not running for this buffer; open a Python file, or see :checkhealth splice',
      vim.log.levels.ERROR,
      { title = 'splice' }
    )
    return false
  end
  local params = { command = command, arguments = arguments }
  return M._request(client, 'workspace/executeCommand', params, function(err, result)
    if err then
      vim.notify(
        ('splice: %s failed: %s'):format(command, err.message),
        vim.log.levels.ERROR,
        { title = 'splice' }
      )
    end
    if callback then
      callback(err, result)
    end
  end, bufnr)
end

---@param state splice.Status|nil
---@return integer[]
local function attached_pids(state)
  local pids = {}
  for _, kernel in ipairs(type(state) == 'table' and state.kernels or {}) do
    if kernel.attached ~= false then
      table.insert(pids, kernel.pid)
    end
  end
  table.sort(pids)
  return pids
end

--- Handler for the server's splice/status notification.
---
--- The server already shows patch results with window/showMessage, and sends a
--- status after every save (even of files no kernel runs), so only changes in
--- the attached kernels are worth a notification here.
---@param params splice.Status
---@param ctx lsp.HandlerContext
function M.on_status(_, params, ctx)
  if type(params) ~= 'table' then
    return
  end
  local previous = statuses[ctx.client_id]
  statuses[ctx.client_id] = params
  local message = params.message
  local kernels_changed = not vim.deep_equal(attached_pids(previous), attached_pids(params))
  if config.options.notify and kernels_changed and type(message) == 'string' and message ~= '' then
    vim.notify('splice: ' .. message, vim.log.levels.INFO, { title = 'splice' })
  end
  if kernels_changed or type(params.lastPatch) == 'table' then
    -- What "live" means changed: the kernel set, or the code it runs.
    M._refresh_live_markers(ctx.client_id)
  end
  vim.api.nvim_exec_autocmds('User', {
    pattern = 'SpliceStatus',
    modeline = false,
    data = { client_id = ctx.client_id, status = params },
  })
  pcall(vim.cmd.redrawstatus)
end

--- Live markers ("live" / "differs from kernel: reload") are code lenses.
--- Neovim shows lenses only where asked and does not take the server's
--- workspace/codeLens/refresh, so ask on attach, on status changes, and once
--- typing pauses.
local MARKER_DEBOUNCE_MS = 300

--- The server answers with no lenses when the user turned liveMarkers off.
---@param client vim.lsp.Client
---@param bufnr integer
function M.show_live_markers(client, bufnr)
  if not client.server_capabilities.codeLensProvider then
    return
  end
  local function refresh()
    if vim.api.nvim_buf_is_valid(bufnr) then
      pcall(vim.lsp.codelens.refresh, { bufnr = bufnr })
    end
  end
  local timer = vim.uv.new_timer()
  local function refresh_soon()
    timer:stop()
    timer:start(MARKER_DEBOUNCE_MS, 0, vim.schedule_wrap(refresh))
  end
  marker_buffers[client.id] = marker_buffers[client.id] or {}
  marker_buffers[client.id][bufnr] = true
  refresh()
  local group = vim.api.nvim_create_augroup('splice_live_markers_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'BufWritePost' }, { group = group, buffer = bufnr, callback = refresh })
  -- on_lines rather than TextChanged: it sees every change, also those made by
  -- plugins and scripts outside the main loop.
  vim.api.nvim_buf_attach(bufnr, false, {
    on_lines = function()
      if not marker_buffers[client.id] or not marker_buffers[client.id][bufnr] then
        return true -- detach
      end
      refresh_soon()
    end,
  })
  vim.api.nvim_create_autocmd('BufWipeout', {
    group = group,
    buffer = bufnr,
    callback = function()
      timer:close()
    end,
  })
end

---@param client_id integer
function M._refresh_live_markers(client_id)
  for bufnr in pairs(marker_buffers[client_id] or {}) do
    if vim.api.nvim_buf_is_valid(bufnr) then
      pcall(vim.lsp.codelens.refresh, { bufnr = bufnr })
    else
      marker_buffers[client_id][bufnr] = nil
    end
  end
end

--- The latest splice/status of the client serving `bufnr`, or nil.
---@param bufnr integer|nil
---@return splice.Status|nil
function M.state(bufnr)
  local client = M.client(bufnr)
  if not client then
    return nil
  end
  return statuses[client.id]
end

--- The attached kernels by program: the server's `programs`, else grouped by rootPid.
---@param state table a splice/status
---@return table[] {rootPid, program, processes}
function M.programs(state)
  if type(state.programs) == 'table' then
    return state.programs
  end
  local groups, order = {}, {}
  for _, kernel in ipairs(type(state.kernels) == 'table' and state.kernels or {}) do
    if kernel.attached ~= false then
      -- 0 or absent (an agent from before process trees): a program of its own.
      local root = (tonumber(kernel.rootPid) or 0) > 0 and kernel.rootPid or kernel.pid
      if not groups[root] then
        groups[root] = { rootPid = root, program = kernel.program or '', processes = 0 }
        table.insert(order, root)
      end
      groups[root].processes = groups[root].processes + 1
      if kernel.pid == root and type(kernel.program) == 'string' and kernel.program ~= '' then
        groups[root].program = kernel.program
      end
    end
  end
  local found = {}
  for _, root in ipairs(order) do
    table.insert(found, groups[root])
  end
  return found
end

--- "splice: 2 kernels", or "splice: app.py (3 processes)" for one program of several processes.
---@param state table a splice/status
---@param count integer attached kernels
---@return string
function M.describe_programs(state, count)
  local programs = M.programs(state)
  local several = false
  for _, program in ipairs(programs) do
    several = several or (tonumber(program.processes) or 1) > 1
  end
  local function processes(n)
    return ('%d process%s'):format(n, n == 1 and '' or 'es')
  end
  if not several then
    return ('splice: %d kernel%s'):format(count, count == 1 and '' or 's')
  end
  if #programs == 1 then
    local name = programs[1].program
    return ('splice: %s (%s)'):format(
      (type(name) == 'string' and name ~= '') and name or 'python',
      processes(tonumber(programs[1].processes) or count)
    )
  end
  return ('splice: %d programs (%s)'):format(#programs, processes(count))
end

--- A short text for statuslines: "" without a client, else e.g. "splice: 1 kernel, patched in 1.8 ms",
--- "splice: app.py (3 processes), patched in 2.1 ms".
---@param bufnr integer|nil
---@return string
function M.status(bufnr)
  local client = M.client(bufnr)
  if not client then
    return ''
  end
  local state = statuses[client.id]
  if not state or not state.ready then
    return 'splice: starting'
  end
  local count = #attached_pids(state)
  local text = count == 0 and 'splice: no kernel' or M.describe_programs(state, count)
  local last = state.lastPatch
  if type(last) == 'table' then
    if last.ok then
      text = text .. (', patched in %.1f ms'):format(tonumber(last.durationMs) or 0)
    else
      text = text .. ', patch failed'
    end
  end
  return text
end

return M
