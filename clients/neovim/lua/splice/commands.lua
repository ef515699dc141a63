--- The :Splice* user commands (loaded on first use by plugin/splice.lua).
local splice = require('splice')
local config = require('splice.config')

local M = {}

---@param message string
---@param level integer|nil
local function notify(message, level)
  vim.notify(message, level or vim.log.levels.INFO, { title = 'splice' })
end

--- "1234" -> 1234 (the server takes pids as numbers); anything else is a connection file.
---@param text string
---@return integer|string
local function kernel_argument(text)
  local pid = tonumber(text)
  if pid then
    return pid
  end
  return vim.fn.fnamemodify(text, ':p')
end

---@param kernel splice.KernelStatus
---@return string
local function describe_kernel(kernel)
  local program = kernel.program
  if type(program) ~= 'string' or program == '' then
    program = '(interactive)'
  end
  local text = ('%s  %s'):format(kernel.pid, program)
  if type(kernel.cwd) == 'string' and kernel.cwd ~= '' then
    text = text .. '  in ' .. vim.fn.fnamemodify(kernel.cwd, ':~')
  end
  if kernel.attached then
    text = text .. '  [attached]'
  end
  return text
end

--- What the server said, for people: its `summary` or `message`, never parsed.
---@param result any
---@param fallback string
---@return string
local function report(result, fallback)
  if type(result) == 'table' and type(result.summary) == 'string' then
    return result.summary
  end
  if type(result) == 'table' and type(result.message) == 'string' then
    return result.message
  end
  if type(result) == 'string' and result ~= '' then
    return result
  end
  return fallback
end

--- :SpliceAttach [pid|connection-file]: without an argument, pick from the live kernels.
---@param args string|nil
function M.attach(args)
  if args and args ~= '' then
    splice.execute('splice.attach', { kernel_argument(args) })
    return
  end
  splice.execute('splice.listKernels', {}, function(err, kernels)
    if err then
      return
    end
    if type(kernels) ~= 'table' or #kernels == 0 then
      notify(
        'splice: no live kernel found; start one with `splice run app.py` or :SpliceKernel',
        vim.log.levels.WARN
      )
      return
    end
    vim.ui.select(
      kernels,
      { prompt = 'Attach to a splice kernel', format_item = describe_kernel },
      function(kernel)
        if kernel then
          splice.execute('splice.attach', { kernel.pid })
        end
      end
    )
  end)
end

--- :SpliceDetach [pid]: without an argument, detach from every kernel.
---@param args string|nil
function M.detach(args)
  local arguments = {}
  if args and args ~= '' then
    local pid = tonumber(args)
    if not pid then
      notify('splice: :SpliceDetach takes a process id, got ' .. args, vim.log.levels.ERROR)
      return
    end
    arguments = { pid }
  end
  splice.execute('splice.detach', arguments)
end

--- The splice client serving `bufnr` itself: the reload commands send the text it has synced.
---@param bufnr integer
---@return vim.lsp.Client|nil
local function buffer_client(bufnr)
  local client = vim.lsp.get_clients({ name = 'splice', bufnr = bufnr })[1]
  if not client then
    notify(
      'splice: this buffer is not attached to the splice language server (see :checkhealth splice)',
      vim.log.levels.ERROR
    )
  end
  return client
end

--- :SpliceReload: patch the definition at the cursor, from the buffer text (saved or not).
function M.reload()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = buffer_client(bufnr)
  if not client then
    return
  end
  local position = vim.lsp.util.make_position_params(0, client.offset_encoding).position
  local uri = vim.uri_from_bufnr(bufnr)
  splice.execute('splice.reloadDefinition', { uri, position.line, position.character }, nil, bufnr)
end

--- :SpliceReloadFile: patch the whole buffer into every kernel that runs it.
function M.reload_file()
  local bufnr = vim.api.nvim_get_current_buf()
  if buffer_client(bufnr) then
    splice.execute('splice.reloadFile', { vim.uri_from_bufnr(bufnr) }, nil, bufnr)
  end
end

--- :SpliceStatus: the live kernels and the last patch.
function M.show_status()
  splice.execute('splice.listKernels', {}, function(err, kernels)
    if err then
      return
    end
    local lines = {}
    if type(kernels) ~= 'table' or #kernels == 0 then
      table.insert(lines, 'no live kernel (start one with `splice run app.py` or :SpliceKernel)')
    else
      table.insert(lines, 'kernels:')
      for _, kernel in ipairs(kernels) do
        table.insert(lines, '  ' .. describe_kernel(kernel))
      end
    end
    local state = splice.state()
    local last = state and state.lastPatch
    if type(last) == 'table' then
      table.insert(lines, ('last patch (%s): %s'):format(last.ok and 'ok' or 'failed', report(last, '')))
      for _, kernel in ipairs(type(last.kernels) == 'table' and last.kernels or {}) do
        table.insert(lines, ('  %s: %s'):format(kernel.pid, report(kernel, kernel.ok and 'ok' or 'failed')))
      end
    else
      table.insert(lines, 'no patch yet')
    end
    notify(table.concat(lines, '\n'))
  end)
end

--- :SpliceKernel [args]: a terminal split running `splice kernel`.
---@param args string|nil
function M.open_kernel(args)
  local cmd = config.kernel_cmd()
  if args and args ~= '' then
    vim.list_extend(cmd, vim.split(args, '%s+', { trimempty = true }))
  end
  if vim.fn.executable(cmd[1]) ~= 1 then
    notify(('splice: %s is not executable; see :checkhealth splice'):format(cmd[1]), vim.log.levels.ERROR)
    return
  end
  vim.cmd('botright split')
  vim.cmd.enew()
  local job
  if vim.fn.has('nvim-0.11') == 1 then
    job = vim.fn.jobstart(cmd, { term = true })
  else
    job = vim.fn.termopen(cmd)
  end
  if job <= 0 then
    notify('splice: could not start ' .. table.concat(cmd, ' '), vim.log.levels.ERROR)
    return
  end
  vim.cmd.startinsert()
end

return M
