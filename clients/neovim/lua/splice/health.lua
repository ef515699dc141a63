--- :checkhealth splice
local config = require('splice.config')

local M = {}

local health = vim.health

--- Run `cmd`; returns (ok, trimmed output).
---@param cmd string[]
---@return boolean ok
---@return string output
local function run(cmd)
  local ok, process = pcall(vim.system, cmd, { text = true })
  if not ok then
    return false, tostring(process)
  end
  local result = process:wait(15000)
  local output = vim.trim((result.stdout or '') .. (result.stderr or ''))
  return result.code == 0, output
end

local function check_neovim()
  health.start('Neovim')
  local version = tostring(vim.version())
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok(('Neovim %s: vim.lsp.enable("splice") works'):format(version))
  elseif vim.fn.has('nvim-0.10') == 1 then
    health.ok(('Neovim %s: use require("splice").setup()'):format(version))
  else
    health.error(('Neovim %s is too old'):format(version), { 'splice needs Neovim 0.10 or newer' })
  end
  for _, problem in ipairs(config.problems) do
    health.warn('setup(): ' .. problem, { 'see :help splice-options' })
  end
end

--- The interpreter behind the server command: `python -m splice`, or the splice script's shebang.
---@param cmd string[]
---@return string|nil
local function server_python(cmd)
  if config.options.python then
    return config.options.python
  end
  if cmd[2] == '-m' then
    return cmd[1]
  end
  local path = vim.fn.exepath(cmd[1])
  if path == '' then
    return nil
  end
  local file = io.open(path, 'r')
  if not file then
    return nil
  end
  local first = file:read('*l') or ''
  file:close()
  local interpreter = first:match('^#!%s*(%S+python[%w%.]*)%s*$')
  return interpreter
end

local function check_server()
  health.start('splice language server')
  local cmd = config.server_cmd()
  local executable = vim.fn.exepath(cmd[1])
  if executable == '' then
    health.error(('%s: not found'):format(cmd[1]), {
      'install splice into a Python 3.10+ from its wheel or a checkout (docs/install.md):'
        .. ' python -m pip install /path/to/splice',
      'or point at an interpreter that has it: require("splice").setup({ python = "/path/to/python" })',
    })
    return
  end
  health.ok(('server command: %s (%s)'):format(table.concat(cmd, ' '), executable))
  if cmd[#cmd] == 'lsp' then
    local version_cmd = vim.list_slice(cmd, 1, #cmd - 1)
    table.insert(version_cmd, '--version')
    local ok, output = run(version_cmd)
    if ok then
      health.ok(output)
    else
      health.error(('%s failed: %s'):format(table.concat(version_cmd, ' '), output), {
        'reinstall splice in that environment from its wheel or a checkout (docs/install.md)',
      })
    end
  end

  local python = server_python(cmd)
  if not python then
    health.info('Python: could not tell which interpreter runs ' .. cmd[1])
    return
  end
  local ok, output = run({ python, '-c', 'import sys; print(sys.version.split()[0])' })
  if not ok then
    health.error(('Python %s does not run: %s'):format(python, output))
    return
  end
  local major, minor = output:match('^(%d+)%.(%d+)')
  if tonumber(major) == 3 and tonumber(minor) >= 10 then
    health.ok(('Python %s (%s)'):format(output, python))
  else
    health.error(
      ('Python %s (%s) is too old'):format(output, python),
      { 'splice needs Python 3.10 or newer' }
    )
  end
end

--- Same order as splice.agent.connection.runtime_dir().
---@return string
local function runtime_dir()
  local explicit = vim.env.SPLICE_RUNTIME_DIR
  if explicit and explicit ~= '' then
    return explicit
  end
  local xdg = vim.env.XDG_RUNTIME_DIR
  if xdg and xdg ~= '' and vim.fn.isdirectory(xdg) == 1 then
    return vim.fs.joinpath(xdg, 'splice')
  end
  local tmp = vim.env.TMPDIR
  if not tmp or tmp == '' then
    tmp = '/tmp'
  end
  return vim.fs.joinpath(tmp, 'splice-' .. vim.uv.getuid())
end

---@param pid integer
---@return boolean
local function pid_alive(pid)
  local ok, result = pcall(vim.uv.kill, pid, 0)
  return ok and result == 0
end

--- Live kernels from their connection files (what the server would find).
local function kernels_from_files()
  local kernels = {}
  local directory = runtime_dir()
  for name, kind in vim.fs.dir(directory) do
    if kind == 'file' and name:match('^kernel%-%d+%.json$') then
      local file = io.open(vim.fs.joinpath(directory, name), 'r')
      if file then
        local ok, data = pcall(vim.json.decode, file:read('*a'))
        file:close()
        if ok and type(data) == 'table' and type(data.pid) == 'number' and pid_alive(data.pid) then
          table.insert(kernels, data)
        end
      end
    end
  end
  return kernels, directory
end

local function describe(kernel)
  local program = type(kernel.program) == 'string' and kernel.program ~= '' and kernel.program
    or '(interactive)'
  local text = ('pid %s: %s'):format(kernel.pid, program)
  if type(kernel.cwd) == 'string' and kernel.cwd ~= '' then
    text = text .. ' in ' .. kernel.cwd
  end
  return text
end

local function check_kernels()
  health.start('Live kernels')
  local clients = vim.lsp.get_clients({ name = 'splice' })
  for _, client in ipairs(clients) do
    health.ok(('language server running (client %d, root %s)'):format(client.id, client.root_dir or 'none'))
  end
  if #clients > 0 then
    local params = { command = 'splice.listKernels', arguments = {} }
    local response
    if vim.fn.has('nvim-0.11') == 1 then
      response = clients[1]:request_sync('workspace/executeCommand', params, 5000)
    else
      response = clients[1].request_sync('workspace/executeCommand', params, 5000)
    end
    if response and not response.err and type(response.result) == 'table' then
      if #response.result == 0 then
        health.info('no live kernel: start one with :SpliceRun app.py or :SpliceKernel')
      end
      for _, kernel in ipairs(response.result) do
        health.ok(describe(kernel) .. (kernel.attached and ' (attached)' or ' (not attached)'))
      end
      return
    end
    local reason = response and response.err and response.err.message or 'no answer'
    health.warn('the language server did not list its kernels: ' .. reason)
  else
    health.info('language server not running in this Neovim (it starts with the first Python buffer)')
  end
  local kernels, directory = kernels_from_files()
  if #kernels == 0 then
    health.info(
      ('no live kernel in %s: start one with :SpliceRun app.py or :SpliceKernel'):format(directory)
    )
  end
  for _, kernel in ipairs(kernels) do
    health.ok(describe(kernel))
  end
end

--- What :SpliceRun and :SpliceKernel start, and whether that interpreter can.
local function check_programs()
  health.start('Programs (:SpliceRun, :SpliceKernel)')
  local launch = config.launch('run', { 'FILE' })
  local source = launch.env and launch.env.PYTHONPATH and config.splice_source()
  health.ok(
    (':SpliceRun FILE runs: %s%s'):format(
      table.concat(launch.cmd, ' '),
      source and (' (splice from %s; nothing installed)'):format(source) or ''
    )
  )
  if launch.python then
    local problem = config.check_python(launch.python)
    if problem then
      health.error(problem)
    end
  end
end

function M.check()
  check_neovim()
  check_server()
  check_programs()
  check_kernels()
end

return M
