-- End-to-end test of `xeplint server` in a real editor: Neovim (0.7 or
-- newer), headless, configured with the ```lua block of
-- docs/integrations.md as its init.lua. Run by tests/it/nvim.rs as
--
--   XEP=path/to/xep-NNNN.xml RESULT=out.txt \
--     nvim --headless -i NONE -u init.lua -c 'luafile editors/nvim/e2e.lua'
--
-- with `xeplint` on the PATH. It opens the document, waits for the server
-- the configuration starts and for diagnostics, hovers an entity, jumps to
-- its definition, and applies a quick fix to the stylesheet finding. It
-- writes "ok" to RESULT, or what went wrong, and quits.

local file = os.getenv('XEP')
local result = os.getenv('RESULT')
local steps = {}

local function finish(message)
  local f = io.open(result, 'w')
  f:write(message .. '\n' .. table.concat(steps, '\n') .. '\n')
  f:close()
  vim.cmd('qa!')
end

local function check(cond, message)
  if not cond then
    finish('failed: ' .. message)
    error(message)
  end
  table.insert(steps, 'passed: ' .. message)
end

-- The diagnostics as the server sent them, by URI.
local published = {}
local default_handler = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(e, res, ctx, config)
  published[res.uri] = res.diagnostics
  return default_handler(e, res, ctx, config)
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo[buf].filetype == 'xml', 'the document is XML')
  local client
  vim.wait(10000, function()
    for _, c in pairs(vim.lsp.buf_get_clients(buf)) do
      if c.name == 'xeplint' then client = c end
    end
    return client ~= nil
  end, 20)
  check(client ~= nil, 'the documented configuration starts the server')

  -- Diagnostics: the damaged stylesheet is reported.
  local uri = vim.uri_from_bufnr(buf)
  local function stylesheet_finding()
    for _, d in ipairs(published[uri] or {}) do
      if d.code == 'stylesheet' then return d end
    end
    return nil
  end
  local function stylesheet_findings()
    return stylesheet_finding() and 1 or 0
  end
  check(vim.wait(30000, function() return stylesheet_findings() > 0 end, 50), 'diagnostics arrive, the stylesheet among them')

  -- Hover on the first entity reference of the body.
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local line, col, name
  for i, l in ipairs(lines) do
    if i > 3 then
      local s, _, n = l:find('&([%a][%w_.-]*);')
      if s and n ~= 'lt' and n ~= 'gt' and n ~= 'amp' then
        line, col, name = i - 1, s, n
        break
      end
    end
  end
  check(name ~= nil, 'the document references an entity')
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = line, character = col },
  }
  local hover = client.request_sync('textDocument/hover', params, 10000, buf)
  check(hover and hover.result and hover.result.contents, 'hover answers on &' .. name .. ';')
  local text = hover.result.contents.value or ''
  check(text:find('&' .. name .. ';', 1, true) and text:find('xep.ent', 1, true), 'the hover shows the entity and where it is declared')

  -- Go to its definition: xep.ent, on its declaration.
  local def = client.request_sync('textDocument/definition', params, 10000, buf)
  check(def and def.result, 'definition answers')
  local location = def.result[1] or def.result
  vim.lsp.util.jump_to_location(location, client.offset_encoding or 'utf-16')
  local here = vim.api.nvim_buf_get_name(0)
  check(here:match('xep%.ent$') ~= nil, 'the jump lands in xep.ent')
  local current = vim.api.nvim_get_current_line()
  check(current:find('<!ENTITY%s+' .. name:gsub('%p', '%%%0')) ~= nil, 'on the declaration of ' .. name)
  vim.cmd('buffer ' .. buf)

  -- A quick fix for the stylesheet finding: its fix when it has one, else
  -- "disable the rule for this element".
  local target = stylesheet_finding()
  check(target ~= nil, 'the stylesheet finding is found')
  local actions = client.request_sync('textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = target.range,
    context = { diagnostics = { target }, only = { 'quickfix' } },
  }, 10000, buf)
  check(actions and actions.result and #actions.result > 0, 'quick fixes are offered')
  local chosen
  for _, a in ipairs(actions.result) do
    if not chosen or (chosen.title:find('^Disable') and not a.title:find('^Disable')) then
      chosen = a
    end
  end
  table.insert(steps, 'applying: ' .. chosen.title)
  vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding or 'utf-16')
  check(vim.wait(30000, function() return stylesheet_findings() == 0 end, 50), 'the finding goes once the fix is applied')
end)

if ok then
  finish('ok')
else
  finish('failed: ' .. tostring(err))
end
