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

--- :SpliceAttachProcess [pid]: start splice in a running Python process (`splice attach`)
--- and attach to it; without a pid, pick one of your Python processes.
---@param args string|nil
function M.attach_process(args)
  if args and args ~= '' then
    local pid = tonumber(args)
    if not pid then
      notify('splice: :SpliceAttachProcess takes a process id, got ' .. args, vim.log.levels.ERROR)
      return
    end
    notify(('splice: attaching to pid %d...'):format(pid))
    splice.execute('splice.attachProcess', { pid })
    return
  end
  splice.execute('splice.attachProcess', {}, function(err, processes)
    if err then
      return
    end
    if type(processes) ~= 'table' or #processes == 0 then
      notify('splice: no Python 3.10+ process of yours is running', vim.log.levels.WARN)
      return
    end
    vim.ui.select(processes, {
      prompt = 'Attach splice to a Python process',
      format_item = function(process)
        local running = process.kernel and '  [splice]' or ''
        return ('%s  %s%s'):format(process.pid, process.command, running)
      end,
    }, function(process)
      if process then
        M.attach_process(tostring(process.pid))
      end
    end)
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

--- A terminal split running `launch`; returns the job's pid, or nil (after saying why).
---@param launch splice.Launch
---@param cwd string|nil
---@return integer|nil pid
local function open_terminal(launch, cwd)
  if launch.python then
    local problem = config.check_python(launch.python)
    if problem then
      notify(problem, vim.log.levels.ERROR)
      return nil
    end
  elseif vim.fn.executable(launch.cmd[1]) ~= 1 then
    notify(('splice: %s is not executable; see :checkhealth splice'):format(launch.cmd[1]), vim.log.levels.ERROR)
    return nil
  end
  vim.cmd('botright split')
  vim.cmd.enew()
  local job_options = { env = launch.env, cwd = cwd }
  local job
  if vim.fn.has('nvim-0.11') == 1 then
    job_options.term = true
    job = vim.fn.jobstart(launch.cmd, job_options)
  else
    job = vim.fn.termopen(launch.cmd, job_options)
  end
  if job <= 0 then
    notify('splice: could not start ' .. table.concat(launch.cmd, ' '), vim.log.levels.ERROR)
    return nil
  end
  return vim.fn.jobpid(job)
end

--- Attach the language server to kernel `pid` as soon as it listens, whatever
--- the autoAttach setting says (the server lists it once its connection file exists).
---@param pid integer
---@param bufnr integer
---@param timeout_ms integer|nil
function M.attach_when_listening(pid, bufnr, timeout_ms)
  if not splice.client(bufnr) then
    return
  end
  local deadline = vim.uv.now() + (timeout_ms or 30000)
  local timer = assert(vim.uv.new_timer())
  local asking = false
  local function stop()
    if not timer:is_closing() then
      timer:stop()
      timer:close()
    end
  end
  timer:start(
    50,
    100,
    vim.schedule_wrap(function()
      if asking or timer:is_closing() then
        return
      end
      if vim.uv.now() > deadline or vim.uv.kill(pid, 0) ~= 0 then
        stop()
        return
      end
      asking = true
      local sent = splice.execute('splice.listKernels', {}, function(err, kernels)
        asking = false
        if err or type(kernels) ~= 'table' then
          stop()
          return
        end
        for _, kernel in ipairs(kernels) do
          if kernel.pid == pid then
            stop()
            if not kernel.attached then
              splice.execute('splice.attach', { pid }, nil, bufnr)
            end
            return
          end
        end
      end, bufnr)
      if not sent then
        stop()
      end
    end)
  )
end

--- :SpliceKernel [args]: a terminal split running `splice kernel`.
---@param args string|nil
function M.open_kernel(args)
  local extra = vim.split(args or '', '%s+', { trimempty = true })
  local launch
  if config.options.kernel_cmd then
    launch = { cmd = vim.list_extend(config.kernel_cmd(), extra) }
  else
    launch = config.launch('kernel', extra)
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local pid = open_terminal(launch, nil)
  if pid then
    M.attach_when_listening(pid, bufnr)
    vim.cmd.startinsert()
  end
end

--- :SpliceRun [file]: run the file (default: the current buffer's, saved first)
--- under splice in a terminal split, and attach to it as soon as it listens.
---@param args string|nil
function M.run(args)
  local bufnr = vim.api.nvim_get_current_buf()
  local file
  if args and args ~= '' then
    file = vim.fn.fnamemodify(vim.fn.expand(args), ':p')
  else
    file = vim.api.nvim_buf_get_name(bufnr)
    if file == '' or vim.bo[bufnr].buftype ~= '' then
      notify('splice: :SpliceRun needs a file: open a Python file or give its name', vim.log.levels.ERROR)
      return
    end
    if vim.bo[bufnr].modified then
      vim.cmd.update()
    end
    file = vim.fn.fnamemodify(file, ':p')
  end
  if vim.fn.filereadable(file) ~= 1 then
    notify('splice: no such file: ' .. file, vim.log.levels.ERROR)
    return
  end
  local cwd = config.root_dir(bufnr) or vim.fs.dirname(file)
  local pid = open_terminal(config.launch('run', { file }), cwd)
  if pid then
    M.attach_when_listening(pid, bufnr)
    -- Back to the file: the point is to edit it while it runs.
    vim.cmd.wincmd('p')
  end
end

return M
