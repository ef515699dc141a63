-- Live markers: code lenses say which definitions the kernel runs, kept current as the user types.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup()
local bufnr = H.open(H.env('SPLICE_TEST_FILE'))
H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))

local function lens_titles()
  local titles = {}
  for _, lens in ipairs(vim.lsp.codelens.get(bufnr or 0)) do
    if lens.command then
      titles[#titles + 1] = { line = lens.range.start.line, title = lens.command.title }
    end
  end
  table.sort(titles, function(a, b)
    return a.line < b.line
  end)
  return titles
end

local function has_title(fragment)
  for _, lens in ipairs(lens_titles()) do
    if lens.title:find(fragment, 1, true) then
      return true
    end
  end
  return false
end

H.wait(10000, function()
  return #lens_titles() > 0
end, 'live markers after attaching')
local before = lens_titles()
H.replace('"hello "', '"hi "')
H.wait(10000, function()
  return has_title('differs from kernel')
end, 'a marker that says the edited definition differs from the kernel')
H.finish({ before = before, after = lens_titles(), edited_line = H.find_line('"hi "') - 1 })
